import { describe, expect, it } from 'vitest';
import fixtures from '../test/fixtures/openapi.json';
import { documentPlace, linePlace } from './documentPointer';

const yaml = fixtures.documents.orders;
const json = fixtures.documents.invalid;

function at(text: string, pointer: string) {
  const p = documentPlace(text, pointer);
  return p && { line: p.line, text: text.slice(p.from, p.to) };
}

describe('documentPlace', () => {
  it('finds a pointer in YAML by indentation: keys plain and quoted, ~1 in path keys, sequence items', () => {
    expect(at(yaml, '/components/schemas/Item')).toEqual({ line: 41, text: 'Item:' });
    expect(at(yaml, '/paths/~1orders~1items~1{itemId}/put')).toEqual({ line: 16, text: 'put:' });
    expect(at(yaml, '/paths/~1orders~1items~1{itemId}/put/responses/4XX/description')).toEqual({ line: 30, text: 'description: refused' });
    expect(at(yaml, '/paths/~1orders~1items/get/responses/200')).toEqual({ line: 8, text: '"200":' });
    expect(at(yaml, '/paths/~1orders~1items~1{itemId}/parameters/0')).toEqual({
      line: 15,
      text: '- {name: itemId, in: path, required: true, schema: {type: string}}',
    });
  });

  it('stops at the deepest place the text has (a flow collection, a missing member)', () => {
    expect(at(yaml, '/info/title')?.text).toBe('info: {title: Orders, version: "1"}');
    expect(at(yaml, '/components/schemas/Missing')?.text).toBe('schemas:');
    expect(at(yaml, '/nowhere')).toBeNull();
    expect(at(yaml, '')).toBeNull();
  });

  it('reads a block sequence of mappings', () => {
    const text = 'tags:\n  - name: a\n  - name: b\n    description: second\n';
    expect(at(text, '/tags/1/description')).toEqual({ line: 4, text: 'description: second' });
    expect(at(text, '/tags/0/name')).toEqual({ line: 2, text: 'name: a' });
  });

  it('finds a pointer in JSON text with its line', () => {
    expect(at(json, '/components/schemas/Item')).toEqual({ line: 7, text: '{"type": "nope"}' });
  });

  it('selects a whole line', () => {
    expect(linePlace('a\nbb\nc', 2)).toEqual({ from: 2, to: 4, line: 2 });
    expect(linePlace('a', 3)).toBeNull();
  });
});
