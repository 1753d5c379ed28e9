import { exportJWK, generateKeyPair } from 'jose';
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
