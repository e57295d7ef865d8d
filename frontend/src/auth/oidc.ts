import * as oauth from 'oauth4webapi';
import type { OidcConfig } from './config';

/**
 * Authorization code + PKCE (S256) against the configured OpenID Provider
 * (Cognito's hosted UI in AWS), with state and nonce checks, through
 * oauth4webapi. Only the ID token is kept: the management API's authorizer
 * takes it (its audience is the console's client id).
 */

const PENDING = 'portico.oidc.pending';

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

/** callbackURL is where the provider sends the browser back: {base}auth/callback. */
export function callbackURL(): string {
  return `${window.location.origin}${import.meta.env.BASE_URL}auth/callback`;
}

function signedOutURL(): string {
  return `${window.location.origin}${import.meta.env.BASE_URL}signin`;
}

async function discover(cfg: OidcConfig): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(cfg.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc' }));
}

/** authorizationURL prepares a sign-in (state, nonce, PKCE verifier kept in sessionStorage) and returns the provider's URL. */
export async function authorizationURL(cfg: OidcConfig, returnTo = '/apis'): Promise<string> {
  const as = await discover(cfg);
  if (!as.authorization_endpoint) throw new Error('the identity provider names no authorization endpoint');
  const p: Pending = { state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), verifier: oauth.generateRandomCodeVerifier(), returnTo };
  const u = new URL(as.authorization_endpoint);
  u.searchParams.set('client_id', cfg.clientId);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('redirect_uri', callbackURL());
  u.searchParams.set('scope', cfg.scopes.join(' '));
  u.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(p.verifier));
  u.searchParams.set('code_challenge_method', 'S256');
  u.searchParams.set('state', p.state);
  u.searchParams.set('nonce', p.nonce);
  sessionStorage.setItem(PENDING, JSON.stringify(p));
  return u.href;
}

export interface SignedIn {
  token: string;
  expiresAt: string;
  /** The hosted UI logout URL, when the provider has one. */
  logoutUrl?: string;
  returnTo: string;
}

/** SignInError is a refused or broken sign-in, with a message fit to show. */
export class SignInError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SignInError';
  }
}

/**
 * completeSignIn checks the callback (state, error), exchanges the code
 * with the PKCE verifier, checks the ID token (nonce, audience, issuer,
 * expiry) and returns it. The pending sign-in is consumed either way.
 */
export async function completeSignIn(cfg: OidcConfig, current: URL): Promise<SignedIn> {
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (!raw) throw new SignInError('No sign-in was started in this tab. Start again.');
  const p = JSON.parse(raw) as Pending;
  const as = await discover(cfg);
  const client: oauth.Client = { client_id: cfg.clientId };
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, current, p.state);
  } catch (e) {
    if (e instanceof oauth.AuthorizationResponseError) {
      throw new SignInError(`The identity provider refused the sign-in: ${e.error_description || e.error}`, { cause: e });
    }
    throw new SignInError('The sign-in response did not match the request (state). Start again.', { cause: e });
  }
  let result: oauth.TokenEndpointResponse;
  try {
    const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, callbackURL(), p.verifier);
    result = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: p.nonce, requireIdToken: true });
  } catch (e) {
    throw new SignInError('The sign-in could not be completed (token exchange). Start again.', { cause: e });
  }
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (!result.id_token || !claims) throw new SignInError('The identity provider returned no ID token.');
  return { token: result.id_token, expiresAt: new Date(claims.exp * 1000).toISOString(), logoutUrl: logoutURL(cfg, as), returnTo: p.returnTo };
}

/** logoutURL is the provider's end-session URL, or Cognito's hosted UI /logout. */
export function logoutURL(cfg: OidcConfig, as?: oauth.AuthorizationServer): string | undefined {
  if (as?.end_session_endpoint) {
    const u = new URL(as.end_session_endpoint);
    u.searchParams.set('client_id', cfg.clientId);
    u.searchParams.set('post_logout_redirect_uri', signedOutURL());
    return u.href;
  }
  if (!cfg.domain) return undefined;
  const u = new URL('/logout', cfg.domain);
  u.searchParams.set('client_id', cfg.clientId);
  u.searchParams.set('logout_uri', signedOutURL());
  return u.href;
}
