import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors as joseErrors,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AuthenticationError, UnavailableError } from './errors';
import { departmentIdOf, isRole, type Principal, type Role } from './principal';

export interface VerifierOptions {
  /** A JWKS document on disk (a key pair generated for a test or the local setup). */
  jwksFile?: string;
  /** A JWKS URL (the OpenID Connect provider's jwks_uri); https unless on loopback. */
  jwksUrl?: string;
  /** The provider's issuer: a token's `iss` must equal it exactly. */
  issuer: string;
  audience: string;
  /**
   * A second, development-only issuer trusted beside the provider (`npm run token` in local runs and
   * tests); never set in a deployment.
   */
  dev?: { issuer: string; jwksFile: string };
  /** Tokens issued longer ago than this are refused, whatever their expiry says (default one hour). */
  maxTokenAgeSeconds?: number;
  /**
   * RFC 7662 token introspection at the provider, for the provider's tokens: a token of a disabled
   * client or user, or one issued before a secret rotation, is refused although its signature holds.
   */
  introspection?: IntrospectionOptions;
}

export interface IntrospectionOptions {
  url: string;
  clientId: string;
  clientSecret: string;
  /** How long an answer is reused for the same token (default 30 s; 0 asks every time). */
  cacheSeconds?: number;
}

export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 3600;
const ALGORITHMS = ['ES256', 'RS256', 'EdDSA'];

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Whether a URL points at this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/** A provider URL (JWKS, introspection, admin API) must be https, except on loopback. */
export function requireSecureUrl(what: string, value: string): URL {
  const url = new URL(value);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))) return url;
  throw new Error(`${what} must be an https:// URL (plain http only on loopback): ${value}`);
}

interface Trusted {
  issuer: string;
  keys: JWTVerifyGetKey;
  introspect: boolean;
}

/** Verifies bearer tokens against the trusted issuers' keys and turns their claims into a Principal. */
export class TokenVerifier {
  private readonly trusted = new Map<string, Trusted>();
  private readonly maxTokenAge: number;
  private readonly introspector?: TokenIntrospector;

  constructor(private readonly options: VerifierOptions) {
    let keys: JWTVerifyGetKey;
    if (options.jwksUrl) {
      keys = createRemoteJWKSet(requireSecureUrl('AUTH_JWKS_URL', options.jwksUrl));
    } else if (options.jwksFile) {
      keys = localKeys(options.jwksFile);
    } else {
      throw new Error('TokenVerifier needs AUTH_JWKS_URL or AUTH_JWKS_FILE');
    }
    this.trusted.set(options.issuer, { issuer: options.issuer, keys, introspect: true });
    if (options.dev && options.dev.issuer !== options.issuer) {
      const { issuer, jwksFile } = options.dev;
      this.trusted.set(issuer, { issuer, keys: localKeys(jwksFile), introspect: false });
    }
    this.maxTokenAge = options.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS;
    if (options.introspection) this.introspector = new TokenIntrospector(options.introspection);
  }

  /** Verifies an Authorization header value; throws AuthenticationError for anything but a valid token. */
  async verifyAuthorization(header: string | undefined | null): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw new AuthenticationError();
    return this.verify(match[1]);
  }

  async verify(token: string): Promise<Principal> {
    const trusted = this.trusted.get(unverifiedIssuer(token));
    if (!trusted) throw new AuthenticationError('The token was not issued by a trusted identity provider');
    let payload: JWTPayload;
    let header: { typ?: string };
    try {
      ({ payload, protectedHeader: header } = await jwtVerify(token, trusted.keys, {
        issuer: trusted.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['sub', 'exp', 'iat'],
        maxTokenAge: this.maxTokenAge,
      }));
    } catch (err) {
      throw refusal(err);
    }
    // Only access tokens: an ID token (typ ID), a refresh or logout token is not a credential here.
    const headerType = header.typ?.toLowerCase();
    if (
      (payload.typ !== undefined && payload.typ !== 'Bearer') ||
      (headerType !== undefined && headerType !== 'jwt' && headerType !== 'at+jwt')
    ) {
      throw new AuthenticationError('Only access tokens are accepted');
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter(isRole) : [];
    if (roles.length === 0) throw new AuthenticationError('The token carries no Prasar role');
    if (trusted.introspect && this.introspector && !(await this.introspector.isActive(token, payload))) {
      throw new AuthenticationError(
        'The token has been revoked: its client or user is disabled, or its secret was rotated',
      );
    }
    const departmentCode = typeof payload.department === 'string' ? payload.department : undefined;
    const name = [payload.name, payload.preferred_username, payload.sub].find((v) => typeof v === 'string');
    return {
      subject: String(payload.sub),
      name: String(name),
      roles,
      departmentCode,
      departmentId: departmentCode ? departmentIdOf(departmentCode) : undefined,
    };
  }
}

function localKeys(file: string): JWTVerifyGetKey {
  return createLocalJWKSet(JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet);
}

function unverifiedIssuer(token: string): string {
  try {
    const { iss } = decodeJwt(token);
    if (typeof iss === 'string') return iss;
  } catch {
    // not a JWT at all
  }
  throw new AuthenticationError('The token is not valid');
}

function refusal(err: unknown): Error {
  if (err instanceof AuthenticationError) return err;
  // jose reports a token past the maximum age as expired, naming the iat claim.
  if (err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired) {
    if (err.claim === 'iat') return new AuthenticationError('The token is older than the maximum token age');
    if (err.claim === 'aud') return new AuthenticationError('The token is not meant for Prasar (audience)');
  }
  if (err instanceof joseErrors.JWTExpired) return new AuthenticationError('The token has expired');
  if (err instanceof joseErrors.JOSEError) return new AuthenticationError('The token is not valid');
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Asks the provider whether a token is still active (RFC 7662), authenticating as a confidential
 * client; answers are kept per token for a short while, never beyond the token's expiry.
 */
export class TokenIntrospector {
  private readonly cache = new Map<string, { active: boolean; until: number }>();
  private readonly url: URL;
  private readonly cacheMs: number;

  constructor(private readonly options: IntrospectionOptions) {
    this.url = requireSecureUrl('AUTH_INTROSPECTION_URL', options.url);
    this.cacheMs = (options.cacheSeconds ?? 30) * 1000;
  }

  async isActive(token: string, payload: JWTPayload): Promise<boolean> {
    const now = Date.now();
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.active;
    const basic = Buffer.from(
      `${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`,
    ).toString('base64');
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      throw new UnavailableError(
        'The identity provider could not be reached to confirm the token; retry shortly',
      );
    }
    if (!res.ok)
      throw new UnavailableError('The identity provider could not confirm the token; retry shortly');
    const active = ((await res.json()) as { active?: unknown }).active === true;
    const expiry = typeof payload.exp === 'number' ? payload.exp * 1000 : now;
    if (this.cache.size > 10_000) this.prune(now);
    this.cache.set(key, { active, until: Math.min(now + this.cacheMs, expiry) });
    return active;
  }

  private prune(now: number) {
    for (const [key, entry] of this.cache) if (entry.until <= now) this.cache.delete(key);
    if (this.cache.size > 10_000) this.cache.clear();
  }
}

export interface DevTokenClaims {
  subject: string;
  name?: string;
  roles: Role[];
  department?: string;
  /** Lifetime in seconds; negative values mint an already expired token (for tests). */
  ttlSeconds?: number;
}

/** Signs a development token with the local private key: for `npm run token` and tests, never production. */
export async function signDevToken(
  privateJwk: JWK,
  claims: DevTokenClaims,
  issuer: string,
  audience: string,
): Promise<string> {
  const alg = privateJwk.alg ?? 'ES256';
  const key = await importJWK(privateJwk, alg);
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    typ: 'Bearer',
    name: claims.name ?? claims.subject,
    roles: claims.roles,
    ...(claims.department ? { department: claims.department } : {}),
  })
    .setProtectedHeader({ alg, kid: privateJwk.kid, typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(now - 5)
    .setExpirationTime(now + (claims.ttlSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS));
  return jwt.sign(key);
}

/** The AUTH_* variables every service reads (libs/config's authShape validates them). */
export interface AuthConfig {
  AUTH_JWKS_FILE?: string;
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
  AUTH_DEV_ISSUER?: string;
  AUTH_DEV_JWKS_FILE?: string;
  AUTH_MAX_TOKEN_AGE_SECONDS?: number;
  AUTH_INTROSPECTION_URL?: string;
  AUTH_INTROSPECTION_CLIENT_ID?: string;
  AUTH_INTROSPECTION_CLIENT_SECRET?: string;
  AUTH_INTROSPECTION_CACHE_SECONDS?: number;
}

/** The verifier options of a service, from its validated AUTH_* configuration. */
export function verifierOptionsFrom(config: AuthConfig): VerifierOptions {
  const introspection =
    config.AUTH_INTROSPECTION_URL &&
    config.AUTH_INTROSPECTION_CLIENT_ID &&
    config.AUTH_INTROSPECTION_CLIENT_SECRET
      ? {
          url: config.AUTH_INTROSPECTION_URL,
          clientId: config.AUTH_INTROSPECTION_CLIENT_ID,
          clientSecret: config.AUTH_INTROSPECTION_CLIENT_SECRET,
          cacheSeconds: config.AUTH_INTROSPECTION_CACHE_SECONDS,
        }
      : undefined;
  return {
    jwksFile: config.AUTH_JWKS_FILE,
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    dev:
      config.AUTH_DEV_ISSUER && config.AUTH_DEV_JWKS_FILE
        ? { issuer: config.AUTH_DEV_ISSUER, jwksFile: config.AUTH_DEV_JWKS_FILE }
        : undefined,
    maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_SECONDS,
    introspection,
  };
}
