// Sign-in with the OpenID Connect provider: authorization code + PKCE (oidc-client-ts), tokens kept
// in memory only (a reload signs in again, silently while the provider's session lasts), renewed
// with the refresh token before they expire; sign-out ends the session at the provider.
import { InMemoryWebStorage, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';

export interface RuntimeConfig {
  /** tokenPath: the console server's pass-through to the provider's token endpoint (same origin). */
  oidc: { issuer: string; clientId: string; tokenPath: string };
  graphqlPath: string;
}

/** The console's runtime configuration, from its server (never baked into the build). */
export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  return (await res.json()) as RuntimeConfig;
}

export const CALLBACK_PATH = '/callback';

/** The provider's discovery document, with the token endpoint on the console's own origin. */
async function providerMetadata(config: RuntimeConfig) {
  const res = await fetch(`${config.oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`discovery: HTTP ${res.status}`);
  const doc = (await res.json()) as Record<string, unknown>;
  return { ...doc, token_endpoint: `${window.location.origin}${config.oidc.tokenPath}` };
}

export async function createUserManager(config: RuntimeConfig): Promise<UserManager> {
  const origin = window.location.origin;
  return new UserManager({
    authority: config.oidc.issuer,
    metadata: await providerMetadata(config),
    client_id: config.oidc.clientId,
    redirect_uri: `${origin}${CALLBACK_PATH}`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: 'code',
    scope: 'openid',
    // Tokens live in this page's memory only; the sign-in request's PKCE verifier and state must
    // survive the redirect to the provider and back, so they (and only they) use sessionStorage.
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: true,
    monitorSession: false,
    loadUserInfo: false,
  });
}

/** The claims the console reads from the access token: roles and department (the gateway checks them). */
export interface Identity {
  name: string;
  roles: string[];
  department?: string;
}

export function identityOf(user: User): Identity {
  const claims = decodeJwtPayload(user.access_token);
  return {
    name: String(user.profile.name ?? claims.name ?? user.profile.preferred_username ?? ''),
    roles: Array.isArray(claims.roles) ? claims.roles.map(String) : [],
    department: typeof claims.department === 'string' ? claims.department : undefined,
  };
}

function decodeJwtPayload(token: string): Record<string, unknown> {
  try {
    const part = token.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}
