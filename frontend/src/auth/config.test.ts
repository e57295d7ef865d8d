import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, configURL, loadOidcConfig, oidcFrom } from './config';

/** serve answers the console's config.json request with a status and a body (a string is sent as is). */
function serve(status: number, body?: unknown, type = 'application/json') {
  const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
    new Response(body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': type } }),
  );
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

// What infra/stack/console.go deploys (tokens resolved).
const deployed = {
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_abc',
  clientId: 'c1',
  issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
  domain: 'https://portico-prod-1a2b3c4d.auth.eu-west-1.amazoncognito.com',
  scopes: ['openid', 'email', 'profile'],
  apiBase: '/admin/v1',
};

describe('loadOidcConfig', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('reads the deployed config.json beside the console', async () => {
    const fetch = serve(200, deployed);
    await expect(loadOidcConfig()).resolves.toEqual({
      issuer: deployed.issuer,
      clientId: 'c1',
      domain: deployed.domain,
      scopes: ['openid', 'email', 'profile'],
    });
    // beside the console: /console/config.json in a build (vitest runs with base /)
    expect(configURL()).toBe(`${import.meta.env.BASE_URL}config.json`);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(String(fetch.mock.calls[0]![0])).toBe(configURL());
  });

  it('is local mode (null: the dev login) when there is no config.json', async () => {
    serve(404, 'not found', 'text/plain');
    await expect(loadOidcConfig()).resolves.toBeNull();
  });

  it('is local mode for a local config.json that names no identity provider', async () => {
    serve(200, { apiBase: '/admin/v1' });
    await expect(loadOidcConfig()).resolves.toBeNull();
  });

  it.each([
    ['not JSON', 200, '<!doctype html><title>Portico</title>', /config\.json is not valid JSON/],
    ['a JSON array', 200, [deployed], /config\.json is not a JSON object/],
    ['JSON null', 200, 'null', /config\.json is not a JSON object/],
    ['a client without an issuer', 200, { clientId: 'c1' }, /no "issuer"/],
    ['an issuer without a client', 200, { issuer: deployed.issuer }, /no "clientId"/],
    ['a pool without its region', 200, { userPoolId: 'eu-west-1_abc', clientId: 'c1' }, /both "region" and "userPoolId"/],
    ['a plain-http issuer', 200, { ...deployed, issuer: 'http://idp.example.com' }, /not an https URL/],
    ['a numeric client id', 200, { ...deployed, clientId: 42 }, /"clientId" is not a non-empty string/],
    ['scopes without openid', 200, { ...deployed, scopes: ['email'] }, /"scopes"/],
    ['a server error', 500, 'oops', /could not be loaded: HTTP 500/],
    ['access denied (S3 answers 403 for a missing key)', 403, '<Error/>', /could not be loaded: HTTP 403/],
  ])('refuses %s with a clear ConfigError', async (_name, status, body, message) => {
    serve(status, body);
    const err = await loadOidcConfig().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
  });

  it('reports an unreachable config.json instead of falling back to the dev login', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(loadOidcConfig()).rejects.toThrow(/could not be loaded: Failed to fetch/);
  });

  it('passes an abort through unchanged', async () => {
    const ac = new AbortController();
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new DOMException('aborted', 'AbortError'))));
    ac.abort();
    await expect(loadOidcConfig(ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('oidcFrom', () => {
  it('derives the Cognito issuer from the region and pool, and normalises the hosted UI domain', () => {
    expect(oidcFrom({ region: 'eu-west-1', userPoolId: 'eu-west-1_abc', clientId: 'c', domain: 'auth.example.com/' })).toEqual({
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      clientId: 'c',
      domain: 'https://auth.example.com',
      scopes: ['openid', 'email', 'profile'],
    });
  });

  it('prefers an explicit issuer and keeps the configured scopes', () => {
    expect(oidcFrom({ ...deployed, issuer: 'https://idp.example.com/realm', scopes: ['openid'] })).toMatchObject({
      issuer: 'https://idp.example.com/realm',
      scopes: ['openid'],
    });
  });

  it('is null for an object naming no identity provider', () => {
    expect(oidcFrom({})).toBeNull();
  });
});
