export type Change = { path: string; kind: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown };

/** flatten maps every leaf of a JSON value to its JSON pointer. Empty objects and arrays are leaves. */
export function flatten(v: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (v !== null && typeof v === 'object' && Object.keys(v as object).length > 0) {
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      flatten(child, `${prefix}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
    }
  } else if (v !== undefined) {
    out.set(prefix || '/', v);
  }
  return out;
}

/** diff lists what changed between two JSON documents (an audit entry's before and after), by pointer. */
export function diff(before: unknown, after: unknown): Change[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: Change[] = [];
  for (const p of paths) {
    const inA = a.has(p);
    const inB = b.has(p);
    if (inA && !inB) out.push({ path: p, kind: 'removed', before: a.get(p) });
    else if (!inA && inB) out.push({ path: p, kind: 'added', after: b.get(p) });
    else if (JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p))) out.push({ path: p, kind: 'changed', before: a.get(p), after: b.get(p) });
  }
  return out;
}
