import { describe, expect, it } from 'vitest';
import { lineOf, pointerRange } from './jsonPointer';

const text = JSON.stringify({ steps: [{ redact: {} }, { map: { fields: [{ to: '/sku', 'a/b': 1 }] } }] }, null, 2);
const at = (p: string) => {
  const r = pointerRange(text, p);
  return r && text.slice(r.from, r.to);
};

describe('pointerRange', () => {
  it.each([
    ['/steps/1/map/fields/0/to', '"/sku"'],
    ['/steps/1/map/fields/0/a~1b', '1'],
    ['/steps/0', '{\n      "redact": {}\n    }'],
  ])('%s', (p, want) => expect(at(p)).toBe(want));

  it('stops at the deepest value that exists', () => {
    expect(at('/steps/1/map/fields/0/from')).toContain('"to": "/sku"');
    expect(at('/steps/9')?.startsWith('[')).toBe(true);
  });

  it('gives the whole document for the root, and a line for an offset', () => {
    expect(at('')).toBe(text);
    expect(lineOf(text, pointerRange(text, '/steps/1/map/fields/0/to')!.from)).toBe(10);
    expect(pointerRange('', '/x')).toBeNull();
  });
});
