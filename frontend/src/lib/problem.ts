import type { FieldError } from '../api/types';

/**
 * FieldErrors indexes a problem's errors[] by JSON pointer (RFC 6901), so a
 * form shows each message beside the field the server named, and everything
 * no field claims in a summary. The same mapping serves the dry-run validate
 * answers and a refused submit (400), so the two cannot disagree.
 */
export class FieldErrors {
  private readonly byPointer = new Map<string, string[]>();

  constructor(readonly all: FieldError[] = []) {
    for (const e of all) {
      const list = this.byPointer.get(e.pointer) ?? [];
      list.push(e.detail);
      this.byPointer.set(e.pointer, list);
    }
  }

  get size(): number {
    return this.all.length;
  }

  /** at returns the message for exactly this pointer, joined when several. */
  at(pointer: string): string | undefined {
    const l = this.byPointer.get(pointer);
    return l ? l.join('; ') : undefined;
  }

  /**
   * under returns messages for the pointer and any pointer below it, with
   * the sub-path named ("/cors/allowOrigins/1: must be an origin"), for a
   * field that edits a list or an object as one input.
   */
  under(pointer: string): string | undefined {
    const out: string[] = [];
    for (const [p, ds] of this.byPointer) {
      if (p === pointer) out.push(...ds);
      else if (p.startsWith(pointer + '/')) out.push(...ds.map((d) => `${describeSuffix(p.slice(pointer.length + 1))}: ${d}`));
    }
    return out.length ? out.join('; ') : undefined;
  }

  /** unclaimed returns the errors that no listed field shows (exact or below). */
  unclaimed(fields: string[]): FieldError[] {
    return this.all.filter((e) => !fields.some((f) => e.pointer === f || e.pointer.startsWith(f + '/')));
  }
}

function describeSuffix(suffix: string): string {
  const parts = suffix.split('/').map(unescapePointer);
  return parts.map((p) => (/^\d+$/.test(p) ? `#${Number(p) + 1}` : p)).join(' ');
}

/** unescapePointer decodes one RFC 6901 reference token. */
export function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** pointerLabel turns "/target/integration" into "target › integration" for summaries. */
export function pointerLabel(pointer: string): string {
  if (pointer === '' || pointer === '/') return 'document';
  return pointer
    .slice(1)
    .split('/')
    .map(unescapePointer)
    .map((p) => (/^\d+$/.test(p) ? `#${Number(p) + 1}` : p))
    .join(' › ');
}
