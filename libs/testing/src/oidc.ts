// Signing in against the real identity provider, the way people and department systems do: the
// authorization code flow with PKCE through the provider's own login page, and client credentials.
import { createHash, randomBytes } from 'node:crypto';
import { KeycloakDirectory } from '@prasar/auth';
import type { InfraEnv } from './index';

export interface OidcTokens {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  expires_in: number;
}

/** The provider's endpoints and the console client, from env.json. */
function provider(env: InfraEnv) {
  if (!env.OIDC_ISSUER || !env.OIDC_CONSOLE_CLIENT_ID)
    throw new Error('no OpenID Connect provider in env.json: run `npm run infra:up`');
  return {
    authorize: `${env.OIDC_ISSUER}/protocol/openid-connect/auth`,
    token: `${env.OIDC_ISSUER}/protocol/openid-connect/token`,
    clientId: env.OIDC_CONSOLE_CLIENT_ID,
  };
}

/** Cookies the login page sets, sent back on the form post (a browser would do the same). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

const decodeHtml = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

/**
 * Signs a person in through the provider's login page with the console's public client: the
 * authorization code flow with PKCE (S256), as the console does in a browser. Throws with the
 * page's error message when the provider refuses.
 */
export async function signIn(env: InfraEnv, username: string, password: string): Promise<OidcTokens> {
  const p = provider(env);
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(8).toString('hex');
  // Any loopback port is a registered redirect; nothing listens there: the code is read from the redirect.
  const redirectUri = 'http://127.0.0.1:9/callback';
  const jar = new CookieJar();
  const authorize = new URL(p.authorize);
  for (const [k, v] of Object.entries({
    client_id: p.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }))
    authorize.searchParams.set(k, v);
  const page = await fetch(authorize, { redirect: 'manual' });
  jar.take(page);
  const html = await page.text();
  const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no login form at the provider (HTTP ${page.status})`);
  const posted = await fetch(decodeHtml(action), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, credentialId: '' }),
  });
  const location = posted.headers.get('location');
  if (posted.status !== 302 || !location) {
    const text = await posted.text();
    const message = /<span[^>]*id="input-error"[^>]*>([\s\S]*?)<\/span>/.exec(text)?.[1]?.trim();
    throw new Error(`sign-in refused for ${username}: ${message ?? `HTTP ${posted.status}`}`);
  }
  const back = new URL(location);
  if (back.searchParams.get('state') !== state) throw new Error('sign-in: the state did not come back');
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`sign-in: no code (${back.searchParams.get('error')})`);
  const res = await fetch(p.token, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: p.clientId,
      code_verifier: verifier,
    }),
  });
  if (!res.ok) throw new Error(`sign-in: the token endpoint answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as OidcTokens;
}

/** A department system's token: the client-credentials grant at the provider's token endpoint. */
export async function clientCredentials(
  tokenUrl: string,
  clientId: string,
  clientSecret: string,
): Promise<{ status: number; token?: string; error?: string }> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  return { status: res.status, token: body.access_token, error: body.error };
}

/** The provider's directory with the local realm's directory client (to create test people). */
export function localDirectory(env: InfraEnv): KeycloakDirectory {
  if (
    !env.KEYCLOAK_URL ||
    !env.KEYCLOAK_REALM ||
    !env.OIDC_DIRECTORY_CLIENT_ID ||
    !env.OIDC_DIRECTORY_CLIENT_SECRET
  )
    throw new Error('no embedded Keycloak in env.json: run `npm run infra:up`');
  return new KeycloakDirectory({
    url: env.KEYCLOAK_URL,
    realm: env.KEYCLOAK_REALM,
    clientId: env.OIDC_DIRECTORY_CLIENT_ID,
    clientSecret: env.OIDC_DIRECTORY_CLIENT_SECRET,
    audience: env.AUTH_AUDIENCE,
  });
}
