import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { AuthenticationError } from './errors';
import { departmentIdOf, isRole, type Principal, type Role } from './principal';

export interface VerifierOptions {
  /** A JWKS document on disk (the local setup's generated key pair). */
  jwksFile?: string;
  /** A JWKS URL (an OIDC issuer's jwks_uri in production). */
  jwksUrl?: string;
  issuer: string;
  audience: string;
}

/** Verifies bearer tokens against a JWKS and turns their claims into a Principal. */
export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly options: VerifierOptions) {
    if (options.jwksUrl) {
      this.keys = createRemoteJWKSet(new URL(options.jwksUrl));
    } else if (options.jwksFile) {
      const jwks = JSON.parse(readFileSync(options.jwksFile, 'utf8')) as JSONWebKeySet;
      this.keys = createLocalJWKSet(jwks);
    } else {
      throw new Error('TokenVerifier needs AUTH_JWKS_URL or AUTH_JWKS_FILE');
    }
  }

  /** Verifies an Authorization header value; throws AuthenticationError for anything but a valid token. */
  async verifyAuthorization(header: string | undefined | null): Promise<Principal> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw new AuthenticationError();
    return this.verify(match[1]);
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ['ES256', 'RS256', 'EdDSA'],
        requiredClaims: ['sub', 'exp'],
      });
      const roles = Array.isArray(payload.roles) ? payload.roles.filter(isRole) : [];
      if (roles.length === 0) throw new AuthenticationError('The token carries no Prasar role');
      const departmentCode = typeof payload.department === 'string' ? payload.department : undefined;
      return {
        subject: String(payload.sub),
        name: typeof payload.name === 'string' ? payload.name : String(payload.sub),
        roles,
        departmentCode,
        departmentId: departmentCode ? departmentIdOf(departmentCode) : undefined,
      };
    } catch (err) {
      if (err instanceof AuthenticationError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AuthenticationError('The token has expired');
      if (err instanceof joseErrors.JOSEError) throw new AuthenticationError('The token is not valid');
      throw err;
    }
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
    name: claims.name ?? claims.subject,
    roles: claims.roles,
    ...(claims.department ? { department: claims.department } : {}),
  })
    .setProtectedHeader({ alg, kid: privateJwk.kid, typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(now - 5)
    .setExpirationTime(now + (claims.ttlSeconds ?? 8 * 3600));
  return jwt.sign(key);
}

/** The verifier options of a service, from its validated AUTH_* configuration. */
export function verifierOptionsFrom(config: {
  AUTH_JWKS_FILE?: string;
  AUTH_JWKS_URL?: string;
  AUTH_ISSUER: string;
  AUTH_AUDIENCE: string;
}): VerifierOptions {
  return {
    jwksFile: config.AUTH_JWKS_FILE,
    jwksUrl: config.AUTH_JWKS_URL,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
  };
}
