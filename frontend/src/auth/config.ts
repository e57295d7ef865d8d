/**
 * The console's runtime configuration: config.json beside index.html,
 * written by the CDK stack in AWS (infra/stack/console.go). Locally there is
 * none and the console offers the dev login.
 */
export interface OidcConfig {
  /** The OpenID Provider (a Cognito user pool: https://cognito-idp.{region}.amazonaws.com/{userPoolId}). */
  issuer: string;
  clientId: string;
  /** The hosted UI's domain, for its logout URL when discovery names no end_session_endpoint. */
  domain?: string;
  scopes: string[];
}

interface RuntimeConfig {
  issuer?: string;
  region?: string;
  userPoolId?: string;
  clientId?: string;
  domain?: string;
  scopes?: string[];
}

/** oidcFrom reads the sign-in settings out of config.json, or null when it names no issuer and client. */
export function oidcFrom(c: RuntimeConfig | null): OidcConfig | null {
  if (!c || typeof c !== 'object' || !c.clientId) return null;
  const issuer = c.issuer || (c.region && c.userPoolId ? `https://cognito-idp.${c.region}.amazonaws.com/${c.userPoolId}` : '');
  if (!issuer) return null;
  const domain = c.domain ? (/^https?:\/\//.test(c.domain) ? c.domain : `https://${c.domain}`).replace(/\/$/, '') : undefined;
  return { issuer, clientId: c.clientId, domain, scopes: c.scopes?.length ? c.scopes : ['openid', 'email', 'profile'] };
}

/** configURLs are where config.json may be: beside the console, then at the site root (the S3 deployment's key). */
function configURLs(): string[] {
  const base = import.meta.env.BASE_URL;
  return base === '/' ? ['/config.json'] : [`${base}config.json`, '/config.json'];
}

/** loadOidcConfig fetches config.json; anything but a JSON object naming an issuer means local mode (null). */
export async function loadOidcConfig(signal?: AbortSignal): Promise<OidcConfig | null> {
  for (const u of configURLs()) {
    try {
      const res = await fetch(u, { signal, headers: { Accept: 'application/json' } });
      if (!res.ok || !(res.headers.get('Content-Type') ?? '').includes('json')) continue;
      return oidcFrom((await res.json()) as RuntimeConfig);
    } catch (e) {
      if (signal?.aborted) throw e;
    }
  }
  return null;
}
