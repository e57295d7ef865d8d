import { lineOf, pointerRange } from './jsonPointer';
import { unescapePointer } from './problem';

/** A place in a document's text: offsets of what to select, and its 1-based line. */
export interface TextPlace {
  from: number;
  to: number;
  line: number;
}

/**
 * documentPlace finds where a JSON pointer (RFC 6901) lands in a document
 * written as JSON or YAML, so a problem the server reports at
 * "/components/schemas/Item" can be shown in the text as pasted. JSON goes
 * through Lezer's parser (pointerRange); YAML is read by indentation:
 * block mappings and sequences are followed, a flow collection ({...},
 * [...]) stops at the line that holds it. When the pointer goes deeper than
 * the text, the deepest existing place is returned; null when nothing of it
 * is found (or for the whole document).
 */
export function documentPlace(text: string, pointer: string): TextPlace | null {
  if (pointer === '' || text.trim() === '') return null;
  if (/^\s*[{[]/.test(text)) {
    const r = pointerRange(text, pointer);
    return r ? { ...r, line: lineOf(text, r.from) } : null;
  }
  return yamlPlace(text, pointer);
}

/** linePlace selects a whole 1-based line (a parser's "line 3"), or null past the end. */
export function linePlace(text: string, line: number): TextPlace | null {
  if (line < 1) return null;
  let from = 0;
  for (let n = 1; n < line; n++) {
    const nl = text.indexOf('\n', from);
    if (nl < 0) return null;
    from = nl + 1;
  }
  const nl = text.indexOf('\n', from);
  return { from, to: nl < 0 ? text.length : nl, line };
}

interface Line {
  /** Offset of the line's first character in the text. */
  start: number;
  /** Offset of what the line holds after its indentation (and any "- " taken off). */
  at: number;
  indent: number;
  content: string;
  end: number;
}

function yamlPlace(text: string, pointer: string): TextPlace | null {
  const lines: Line[] = [];
  let start = 0;
  for (const raw of text.split('\n')) {
    const body = raw.replace(/\r$/, '');
    const indent = body.length - body.trimStart().length;
    const content = body.trim();
    if (content !== '' && !content.startsWith('#') && content !== '---' && content !== '...') {
      lines.push({ start, at: start + indent, indent, content, end: start + body.length });
    }
    start += raw.length + 1;
  }
  const tokens = pointer.replace(/^\//, '').split('/').map(unescapePointer);
  let scope = lines;
  let found: Line | null = null;
  for (const token of tokens) {
    const hit = child(scope, token);
    if (!hit) break;
    found = hit.line;
    scope = hit.scope;
    if (scope.length === 0) break;
  }
  if (!found) return null;
  return { from: found.at, to: found.end, line: lineOf(text, found.at) };
}

/** child finds token among the block's direct children: its line, and the lines of its value. */
function child(block: Line[], token: string): { line: Line; scope: Line[] } | null {
  if (block.length === 0) return null;
  const indent = block[0]!.indent;
  let index = -1;
  for (let i = 0; i < block.length; i++) {
    const l = block[i]!;
    if (l.indent !== indent) continue;
    let end = i + 1;
    while (end < block.length && block[end]!.indent > indent) end++;
    const item = /^-(\s+|$)/.exec(l.content);
    if (item) {
      index++;
      if (String(index) !== token) continue;
      const rest = l.content.slice(item[0].length);
      // "- name: x" starts a mapping whose keys line up under "name".
      const first: Line[] = rest === '' ? [] : [{ ...l, at: l.at + item[0].length, indent: indent + item[0].length, content: rest }];
      return { line: l, scope: [...first, ...block.slice(i + 1, end)] };
    }
    const key = mappingKey(l.content);
    if (key === null || key.name !== token) continue;
    // A value on the same line (a scalar, or a flow collection) ends the walk here.
    return { line: l, scope: key.rest.trim() === '' || key.rest.trim().startsWith('#') ? block.slice(i + 1, end) : [] };
  }
  return null;
}

/** mappingKey reads "key: rest" with a plain, single- or double-quoted key. */
function mappingKey(content: string): { name: string; rest: string } | null {
  const quoted = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*')\s*:(?:\s|$)/.exec(content);
  if (quoted) {
    const q = quoted[1]!;
    let name: string;
    try {
      name = q.startsWith('"') ? (JSON.parse(q) as string) : q.slice(1, -1).replace(/''/g, "'");
    } catch {
      name = q.slice(1, -1);
    }
    return { name, rest: content.slice(quoted[0].length) };
  }
  const plain = /^([^#\s][^#]*?)\s*:(?:\s|$)/.exec(content);
  if (!plain) return null;
  return { name: plain[1]!, rest: content.slice(plain[0].length) };
}
