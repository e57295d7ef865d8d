// @vitest-environment node
// Node's own WebCrypto and typed arrays: under jsdom, oauth4webapi's
// instanceof checks see another realm's Uint8Array.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OidcConfig } from './config';
import { authorizationURL, completeSignIn, SignInError } from './oidc';

const ISSUER = 'https://idp.test/pool';
const cfg: OidcConfig = { issuer: ISSUER, clientId: 'console-client', domain: 'https://auth.example.test', scopes: ['openid', 'email'] };

const b64url = (s: string | Uint8Array) => {
  const bytes = typeof s === 'string' ? new TextEncoder().encode(s) : s;
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

async function s256(v: string) {
  return b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(v))));
}

function idToken(claims: Record<string, unknown>) {
  return `${b64url(JSON.stringify({ alg: 'RS256', kid: 'k1' }))}.${b64url(JSON.stringify(claims))}.${b64url('sig')}`;
}

/** A mocked authorization server: discovery and the token endpoint. */
function mockServer(opts: { nonce?: (sent: string) => string; tokenStatus?: number } = {}) {
  const token = vi.fn<(form: URLSearchParams) => void>();
  let lastNonce = '';
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url === `${ISSUER}/.well-known/openid-configuration`) {
        return Response.json({
          issuer: ISSUER,
          authorization_endpoint: 'https://auth.example.test/oauth2/authorize',
          token_endpoint: 'https://auth.example.test/oauth2/token',
          id_token_signing_alg_values_supported: ['RS256'],
        });
      }
      if (url === 'https://auth.example.test/oauth2/token') {
        const form = new URLSearchParams(String(init?.body));
        token(form);
        if (opts.tokenStatus && opts.tokenStatus >= 400) return Response.json({ error: 'invalid_grant' }, { status: opts.tokenStatus });
        const now = Math.floor(Date.now() / 1000);
        const id = idToken({ iss: ISSUER, aud: 'console-client', sub: 'u1', iat: now, exp: now + 3600, nonce: opts.nonce ? opts.nonce(lastNonce) : lastNonce });
        return Response.json({ access_token: 'at', token_type: 'Bearer', expires_in: 3600, id_token: id });
      }
      throw new Error(`unexpected fetch ${url}`);
    }),
  );
  return {
    token,
    /** start a sign-in and return the authorization request's parameters. */
    async begin() {
      const u = new URL(await authorizationURL(cfg, '/integrations'));
      lastNonce = u.searchParams.get('nonce')!;
      return u.searchParams;
    },
  };
}

const callback = (q: Record<string, string>) => new URL(`https://console.test${import.meta.env.BASE_URL}auth/callback?${new URLSearchParams(q)}`);

/** memoryStorage is sessionStorage for the node environment. */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('OIDC sign-in (authorization code + PKCE)', () => {
  beforeEach(() => {
    vi.stubGlobal('window', { location: { origin: 'https://console.test' } });
    vi.stubGlobal('sessionStorage', memoryStorage());
  });
  afterEach(() => vi.unstubAllGlobals());

  it('sends the browser to the authorization endpoint with PKCE S256, state and nonce', async () => {
    const as = mockServer();
    const q = await as.begin();
    expect(q.get('client_id')).toBe('console-client');
    expect(q.get('response_type')).toBe('code');
    expect(q.get('redirect_uri')).toBe(`https://console.test${import.meta.env.BASE_URL}auth/callback`);
    expect(q.get('scope')).toBe('openid email');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('state')).toBeTruthy();
    expect(q.get('nonce')).toBeTruthy();
    const pending = JSON.parse(sessionStorage.getItem('portico.oidc.pending')!) as { verifier: string; state: string };
    expect(pending.state).toBe(q.get('state'));
    expect(q.get('code_challenge')).toBe(await s256(pending.verifier));
  });

  it('exchanges the code with the PKCE verifier and keeps the ID token', async () => {
    const as = mockServer();
    const q = await as.begin();
    const { verifier } = JSON.parse(sessionStorage.getItem('portico.oidc.pending')!) as { verifier: string };
    const s = await completeSignIn(cfg, callback({ code: 'c0de', state: q.get('state')! }));
    const form = as.token.mock.calls[0]![0];
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('code')).toBe('c0de');
    expect(form.get('code_verifier')).toBe(verifier);
    expect(form.get('client_id')).toBe('console-client');
    expect(form.get('redirect_uri')).toBe(`https://console.test${import.meta.env.BASE_URL}auth/callback`);
    expect(s.token.split('.')).toHaveLength(3);
    expect(Date.parse(s.expiresAt)).toBeGreaterThan(Date.now());
    expect(s.returnTo).toBe('/integrations');
    expect(s.logoutUrl).toBe(`https://auth.example.test/logout?client_id=console-client&logout_uri=${encodeURIComponent(`https://console.test${import.meta.env.BASE_URL}signin`)}`);
    expect(sessionStorage.getItem('portico.oidc.pending')).toBeNull();
  });

  it('refuses a callback whose state does not match, without calling the token endpoint', async () => {
    const as = mockServer();
    await as.begin();
    await expect(completeSignIn(cfg, callback({ code: 'c0de', state: 'forged' }))).rejects.toThrow(/state/);
    expect(as.token).not.toHaveBeenCalled();
  });

  it('reports an error callback from the provider', async () => {
    const as = mockServer();
    const q = await as.begin();
    const err = completeSignIn(cfg, callback({ error: 'access_denied', error_description: 'User is disabled', state: q.get('state')! }));
    await expect(err).rejects.toBeInstanceOf(SignInError);
    await expect(err).rejects.toThrow('The identity provider refused the sign-in: User is disabled');
    expect(as.token).not.toHaveBeenCalled();
  });

  it('refuses an ID token with another nonce', async () => {
    const as = mockServer({ nonce: () => 'replayed' });
    const q = await as.begin();
    await expect(completeSignIn(cfg, callback({ code: 'c0de', state: q.get('state')! }))).rejects.toThrow(/token exchange/);
  });

  it('refuses a callback with no sign-in started in this tab', async () => {
    mockServer();
    await expect(completeSignIn(cfg, callback({ code: 'c0de', state: 's' }))).rejects.toThrow(/No sign-in was started/);
  });
});
