import { describe, expect, it } from 'vitest';
import { diff } from './diff';
import { gatewayURL, pathParams, unknownParams } from './pathTemplate';
import { FieldErrors, pointerLabel } from './problem';

describe('FieldErrors', () => {
  const fe = new FieldErrors([
    { pointer: '/path', detail: 'must start with /' },
    { pointer: '/path', detail: 'must be canonical' },
    { pointer: '/policies/cors/allowOrigins/1', detail: 'must be an origin' },
    { pointer: '/headers/X~1Y', detail: 'is not a valid header name' },
    { pointer: '/id', detail: 'is assigned by the server' },
  ]);
  it('finds exact pointers and joins repeats', () => {
    expect(fe.at('/path')).toBe('must start with /; must be canonical');
    expect(fe.at('/method')).toBeUndefined();
    expect(fe.size).toBe(5);
  });
  it('collects errors below a pointer, naming the item', () => {
    expect(fe.under('/policies/cors/allowOrigins')).toBe('#2: must be an origin');
    expect(fe.under('/policies/cors')).toBe('allowOrigins #2: must be an origin');
    expect(fe.under('/headers')).toBe('X/Y: is not a valid header name');
  });
  it('leaves errors no field claims for the summary', () => {
    expect(fe.unclaimed(['/path', '/policies/cors', '/headers']).map((e) => e.pointer)).toEqual(['/id']);
    // A prefix only claims whole segments: /pathology is not under /path.
    expect(new FieldErrors([{ pointer: '/pathology', detail: 'x' }]).unclaimed(['/path'])).toHaveLength(1);
  });
  it('labels pointers for people', () => {
    expect(pointerLabel('/target/integration')).toBe('target › integration');
    expect(pointerLabel('/retry/retryOn/0')).toBe('retry › retryOn › #1');
    expect(pointerLabel('')).toBe('document');
  });
});

describe('path templates', () => {
  it('lists parameters, greedy ones marked', () => {
    expect(pathParams('/orders/{id}/items/{rest+}')).toEqual([
      { name: 'id', greedy: false },
      { name: 'rest', greedy: true },
    ]);
    expect(pathParams('/plain')).toEqual([]);
    expect(pathParams('/broken/{')).toEqual([]);
  });
  it('finds upstream parameters the endpoint path lacks', () => {
    expect(unknownParams('/orders/{id}', '/o/{id}/{x}')).toEqual(['x']);
  });
  it('builds the local gateway URL', () => {
    expect(gatewayURL('http://127.0.0.1:8080', 'demo', 'v1', '/shop', '/p/1')).toBe('http://127.0.0.1:8080/t/demo/v1/shop/p/1');
  });
});

describe('audit diff', () => {
  it('reports added, removed and changed leaves by pointer', () => {
    const before = { name: 'Shop', basePath: '/shop', target: { path: '/a' }, tags: ['x'] };
    const after = { name: 'Store', target: { path: '/a', integration: 'b' }, tags: ['x', 'y'] };
    expect(diff(before, after)).toEqual([
      { path: '/basePath', kind: 'removed', before: '/shop' },
      { path: '/name', kind: 'changed', before: 'Shop', after: 'Store' },
      { path: '/tags/1', kind: 'added', after: 'y' },
      { path: '/target/integration', kind: 'added', after: 'b' },
    ]);
  });
  it('treats a create (no before) as all added', () => {
    expect(diff(undefined, { a: 1 })).toEqual([{ path: '/a', kind: 'added', after: 1 }]);
  });
});
