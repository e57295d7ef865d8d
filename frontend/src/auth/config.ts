/**
 * The console's runtime configuration: config.json beside index.html
 * ({base}config.json, /console/config.json), written by the CDK stack in AWS
 * (infra/stack/console.go) with the sign-in settings resolved at deploy time.
 * Locally there is none (a 404) and the console offers the dev login. A
 * config.json that is there but unusable is an error shown on the sign-in
 * page, never silently replaced by the dev login.
 */
export interface OidcConfig {
  /** The OpenID Provider (a Cognito user pool: https://cognito-idp.{region}.amazonaws.com/{userPoolId}). */
  issuer: string;
  clientId: string;
  /** The hosted UI's base URL, for its logout URL when discovery names no end_session_endpoint. */
  domain?: string;
  scopes: string[];
}

/** ConfigError is a config.json the console cannot use (unreachable, not JSON, incomplete), with a message fit to show. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** configURL is where config.json is: beside the console (the S3 deployment's key console/config.json). */
export function configURL(): string {
  return `${import.meta.env.BASE_URL}config.json`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * oidcFrom reads the sign-in settings out of config.json's content: null when
 * it names no identity provider (neither clientId nor issuer/userPoolId: a
 * local config.json keeps the dev login), else a complete OidcConfig. Half a
 * configuration, or values of the wrong shape, throw a ConfigError.
 */
export function oidcFrom(c: unknown): OidcConfig | null {
  const bad = (what: string) => new ConfigError(`config.json ${what}.`);
  if (!isObject(c)) throw bad('is not a JSON object');
  for (const k of ['issuer', 'region', 'userPoolId', 'clientId', 'domain'] as const) {
    if (c[k] !== undefined && (typeof c[k] !== 'string' || c[k] === '')) throw bad(`"${k}" is not a non-empty string`);
  }
  const { region, userPoolId, clientId, domain } = c as Record<string, string | undefined>;
  let issuer = c.issuer as string | undefined;
  if (!issuer && (region || userPoolId)) {
    if (!region || !userPoolId) throw bad('needs both "region" and "userPoolId" (or an "issuer")');
    issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
  }
  if (!issuer && !clientId) return null;
  if (!clientId) throw bad('names an identity provider but no "clientId"');
  if (!issuer) throw bad('names a "clientId" but no "issuer" (or "region" and "userPoolId")');
  if (!/^https:\/\/[^/]/.test(issuer)) throw bad(`"issuer" is not an https URL: ${issuer}`);
  let scopes = ['openid', 'email', 'profile'];
  if (c.scopes !== undefined) {
    if (!Array.isArray(c.scopes) || !c.scopes.every((s) => typeof s === 'string' && s !== '') || !c.scopes.includes('openid')) {
      throw bad('"scopes" is not a list of scope names including "openid"');
    }
    scopes = c.scopes as string[];
  }
  const base = domain ? (/^https?:\/\//.test(domain) ? domain : `https://${domain}`).replace(/\/$/, '') : undefined;
  return { issuer, clientId, domain: base, scopes };
}

/**
 * loadOidcConfig fetches config.json: null when there is none (404: local
 * mode, the dev login), the sign-in settings when it names an identity
 * provider; a ConfigError when it cannot be fetched, is not JSON or is
 * incomplete.
 */
export async function loadOidcConfig(signal?: AbortSignal): Promise<OidcConfig | null> {
  const url = configURL();
  let res: Response;
  try {
    res = await fetch(url, { signal, cache: 'no-cache', headers: { Accept: 'application/json' } });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ConfigError(`The console's settings (${url}) could not be loaded: ${e instanceof Error ? e.message : String(e)}.`, { cause: e });
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new ConfigError(`The console's settings (${url}) could not be loaded: HTTP ${res.status}.`);
  let body: unknown;
  try {
    body = JSON.parse(await res.text());
  } catch (e) {
    throw new ConfigError('config.json is not valid JSON.', { cause: e });
  }
  return oidcFrom(body);
}
