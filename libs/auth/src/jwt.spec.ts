import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationError } from './errors';
import { signDevToken, TokenVerifier } from './jwt';
import { canAccessDepartment, departmentIdOf, departmentScope } from './principal';

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    pub: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
    priv: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
  };
}

describe('TokenVerifier', () => {
  let verifier: TokenVerifier;
  let trusted: Awaited<ReturnType<typeof keyPair>>;
  let stranger: Awaited<ReturnType<typeof keyPair>>;

  beforeAll(async () => {
    trusted = await keyPair('k1');
    stranger = await keyPair('k1'); // same kid, different key: a forgery
    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [trusted.pub] }));
    verifier = new TokenVerifier({ jwksFile: file, issuer: 'iss', audience: 'aud' });
  });

  it('accepts a valid token and derives the department id from its code', async () => {
    const token = await signDevToken(
      trusted.priv,
      { subject: 'u1', name: 'Asha', roles: ['DEPT_EDITOR'], department: 'agriculture' },
      'iss',
      'aud',
    );
    const p = await verifier.verifyAuthorization(`Bearer ${token}`);
    expect(p).toEqual({
      subject: 'u1',
      name: 'Asha',
      roles: ['DEPT_EDITOR'],
      departmentCode: 'agriculture',
      departmentId: departmentIdOf('agriculture'),
    });
  });

  it.each([
    ['no header', async () => undefined],
    ['not bearer', async () => 'Basic abc'],
    ['garbage', async () => 'Bearer not.a.jwt'],
    [
      'forged signature',
      async () =>
        `Bearer ${await signDevToken(stranger.priv, { subject: 'x', roles: ['IT_CELL_ADMIN'] }, 'iss', 'aud')}`,
    ],
    [
      'expired',
      async () =>
        `Bearer ${await signDevToken(trusted.priv, { subject: 'x', roles: ['VIEWER'], ttlSeconds: -60 }, 'iss', 'aud')}`,
    ],
    [
      'wrong audience',
      async () =>
        `Bearer ${await signDevToken(trusted.priv, { subject: 'x', roles: ['VIEWER'] }, 'iss', 'other')}`,
    ],
    [
      'no known role',
      async () =>
        `Bearer ${await signDevToken(trusted.priv, { subject: 'x', roles: ['ROOT' as never] }, 'iss', 'aud')}`,
    ],
  ])('refuses %s with AuthenticationError', async (_name, header) => {
    await expect(verifier.verifyAuthorization(await header())).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe('department scoping', () => {
  it('derives stable, distinct UUIDv5 ids', () => {
    expect(departmentIdOf('agriculture')).toBe(departmentIdOf('Agriculture'));
    expect(departmentIdOf('agriculture')).not.toBe(departmentIdOf('health'));
    expect(departmentIdOf('health')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('lets the IT cell see every department and others only their own', () => {
    const agri = departmentIdOf('agriculture');
    const editor = { subject: 'e', name: 'e', roles: ['DEPT_EDITOR' as const], departmentId: agri };
    const admin = { subject: 'a', name: 'a', roles: ['IT_CELL_ADMIN' as const] };
    expect(canAccessDepartment(editor, agri)).toBe(true);
    expect(canAccessDepartment(editor, departmentIdOf('health'))).toBe(false);
    expect(canAccessDepartment(admin, departmentIdOf('health'))).toBe(true);
    expect(departmentScope(admin)).toBeUndefined();
    expect(departmentScope(editor)).toBe(agri);
    expect(departmentScope({ subject: 'v', name: 'v', roles: ['VIEWER'] })).toBe(
      '00000000-0000-0000-0000-000000000000',
    );
  });
});

describe('TokenVerifier: what an OpenID Connect provider issues', () => {
  let provider: Awaited<ReturnType<typeof keyPair>>;
  let dev: Awaited<ReturnType<typeof keyPair>>;
  let files: { provider: string; dev: string };
  const ISSUER = 'https://sso.example.gov.in/realms/prasar';

  /** A token as a provider would sign it: any claims and header type. */
  async function providerToken(
    claims: Record<string, unknown>,
    opts: { typ?: string; iatAgo?: number } = {},
  ) {
    const now = Math.floor(Date.now() / 1000);
    const key = await importJWK(provider.priv, 'ES256');
    return new SignJWT({ typ: 'Bearer', roles: ['DEPT_EDITOR'], department: 'agriculture', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: provider.pub.kid, typ: opts.typ ?? 'JWT' })
      .setSubject('user-1')
      .setIssuer(ISSUER)
      .setAudience(['prasar', 'account'])
      .setIssuedAt(now - (opts.iatAgo ?? 5))
      .setExpirationTime(now + 300)
      .sign(key);
  }

  beforeAll(async () => {
    provider = await keyPair('p1');
    dev = await keyPair('d1');
    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    files = { provider: join(dir, 'provider.json'), dev: join(dir, 'dev.json') };
    writeFileSync(files.provider, JSON.stringify({ keys: [provider.pub] }));
    writeFileSync(files.dev, JSON.stringify({ keys: [dev.pub] }));
  });

  const verifier = (extra: Partial<ConstructorParameters<typeof TokenVerifier>[0]> = {}) =>
    new TokenVerifier({
      jwksFile: files.provider,
      issuer: ISSUER,
      audience: 'prasar',
      dev: { issuer: 'https://auth.prasar.local', jwksFile: files.dev },
      ...extra,
    });

  it("accepts the provider's access token, and the development issuer's beside it", async () => {
    const fromProvider = await verifier().verify(await providerToken({ preferred_username: 'asha' }));
    expect(fromProvider).toMatchObject({ subject: 'user-1', name: 'asha', departmentCode: 'agriculture' });
    const devToken = await signDevToken(
      dev.priv,
      { subject: 'd', roles: ['VIEWER'], department: 'health' },
      'https://auth.prasar.local',
      'prasar',
    );
    expect((await verifier().verify(devToken)).departmentCode).toBe('health');
  });

  it('refuses a development token when no development issuer is configured', async () => {
    const devToken = await signDevToken(
      dev.priv,
      { subject: 'd', roles: ['VIEWER'] },
      'https://auth.prasar.local',
      'prasar',
    );
    await expect(verifier({ dev: undefined }).verify(devToken)).rejects.toThrow(
      'The token was not issued by a trusted identity provider',
    );
  });

  it('refuses an ID token, a refresh token and a token of another header type', async () => {
    await expect(verifier().verify(await providerToken({ typ: 'ID' }))).rejects.toThrow(
      'Only access tokens are accepted',
    );
    await expect(verifier().verify(await providerToken({ typ: 'Refresh' }))).rejects.toThrow(
      'Only access tokens',
    );
    await expect(verifier().verify(await providerToken({}, { typ: 'logout+jwt' }))).rejects.toThrow(
      'Only access tokens',
    );
    await expect(verifier().verify(await providerToken({}, { typ: 'at+jwt' }))).resolves.toMatchObject({
      subject: 'user-1',
    });
  });

  it('refuses a token for another audience', async () => {
    const other = new TokenVerifier({ jwksFile: files.provider, issuer: ISSUER, audience: 'someone-else' });
    await expect(other.verify(await providerToken({}))).rejects.toThrow(
      'The token is not meant for Prasar (audience)',
    );
  });

  it('refuses a token issued longer ago than the maximum age, though not expired', async () => {
    const old = await providerToken({}, { iatAgo: 7200 });
    await expect(verifier().verify(old)).rejects.toThrow('older than the maximum token age');
    await expect(verifier({ maxTokenAgeSeconds: 3 * 3600 }).verify(old)).resolves.toMatchObject({
      subject: 'user-1',
    });
  });

  it('takes a JWKS URL over https, or plain http on loopback only', () => {
    expect(
      () => new TokenVerifier({ jwksUrl: 'http://sso.example.gov.in/certs', issuer: ISSUER, audience: 'a' }),
    ).toThrow('AUTH_JWKS_URL must be an https:// URL');
    expect(
      () => new TokenVerifier({ jwksUrl: 'https://sso.example.gov.in/certs', issuer: ISSUER, audience: 'a' }),
    ).not.toThrow();
    expect(
      () => new TokenVerifier({ jwksUrl: 'http://127.0.0.1:18080/certs', issuer: ISSUER, audience: 'a' }),
    ).not.toThrow();
    expect(
      () => new TokenVerifier({ jwksUrl: 'http://localhost:18080/certs', issuer: ISSUER, audience: 'a' }),
    ).not.toThrow();
  });

  describe('introspection', () => {
    let server: Server;
    let url: string;
    const seen: { authorization?: string; body: string }[] = [];
    let answer: { status: number; active?: boolean } = { status: 200, active: true };

    beforeAll(async () => {
      // A stand-in for the provider's introspection endpoint (the real one is tested in test/e2e/sign-in).
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          seen.push({ authorization: req.headers.authorization, body });
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ active: answer.active }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
    });
    afterAll(() => new Promise((r) => server.close(r)));
    beforeEach(() => {
      seen.length = 0;
      answer = { status: 200, active: true };
    });

    const introspecting = (cacheSeconds = 30) =>
      verifier({ introspection: { url, clientId: 'prasar-gateway', clientSecret: 's3cret', cacheSeconds } });

    it('asks the provider as a confidential client and keeps its answer for the cache period', async () => {
      const v = introspecting();
      const token = await providerToken({});
      await v.verify(token);
      await v.verify(token);
      expect(seen).toHaveLength(1);
      expect(seen[0].authorization).toBe(`Basic ${Buffer.from('prasar-gateway:s3cret').toString('base64')}`);
      expect(new URLSearchParams(seen[0].body).get('token')).toBe(token);
    });

    it('refuses a token the provider says is no longer active', async () => {
      answer = { status: 200, active: false };
      await expect(introspecting(0).verify(await providerToken({}))).rejects.toThrow(
        'The token has been revoked',
      );
    });

    it('answers UNAVAILABLE (retry), not UNAUTHENTICATED, when the provider cannot answer', async () => {
      answer = { status: 503 };
      await expect(introspecting(0).verify(await providerToken({}))).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        retryAfterSeconds: 5,
      });
    });

    it('does not introspect development tokens', async () => {
      const devToken = await signDevToken(
        dev.priv,
        { subject: 'd', roles: ['VIEWER'] },
        'https://auth.prasar.local',
        'prasar',
      );
      await introspecting(0).verify(devToken);
      expect(seen).toHaveLength(0);
    });
  });
});
