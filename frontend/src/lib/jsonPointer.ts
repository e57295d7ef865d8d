import { parser } from '@lezer/json';
import type { SyntaxNode } from '@lezer/common';
import { unescapePointer } from './problem';

/**
 * pointerRange finds the text a JSON pointer (RFC 6901) addresses in a JSON
 * document, so an error the server reports at "/steps/1/map/fields/0/from"
 * can be underlined where it is written. When the pointer goes deeper than
 * the text (a missing member), the deepest existing value is returned.
 */
export function pointerRange(text: string, pointer: string): { from: number; to: number } | null {
  const tree = parser.parse(text);
  let node: SyntaxNode | null = tree.topNode.firstChild;
  // Skip anything that is not a value (comments, errors).
  while (node && !isValue(node)) node = node.nextSibling;
  if (!node) return null;
  const tokens = pointer === '' ? [] : pointer.replace(/^\//, '').split('/').map(unescapePointer);
  for (const t of tokens) {
    const next = child(text, node, t);
    if (!next) break;
    node = next;
  }
  return { from: node.from, to: node.to };
}

function isValue(n: SyntaxNode): boolean {
  return ['Object', 'Array', 'String', 'Number', 'True', 'False', 'Null'].includes(n.name);
}

function child(text: string, node: SyntaxNode, token: string): SyntaxNode | null {
  if (node.name === 'Object') {
    for (let p = node.firstChild; p; p = p.nextSibling) {
      if (p.name !== 'Property') continue;
      const name = p.getChild('PropertyName');
      if (!name) continue;
      let key: string;
      try {
        key = JSON.parse(text.slice(name.from, name.to)) as string;
      } catch {
        continue;
      }
      if (key !== token) continue;
      for (let v = name.nextSibling; v; v = v.nextSibling) if (isValue(v)) return v;
      return p;
    }
    return null;
  }
  if (node.name === 'Array') {
    if (!/^\d+$/.test(token)) return null;
    let i = Number(token);
    for (let v = node.firstChild; v; v = v.nextSibling) {
      if (!isValue(v)) continue;
      if (i === 0) return v;
      i--;
    }
  }
  return null;
}

/** lineOf returns the 1-based line of an offset. */
export function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
