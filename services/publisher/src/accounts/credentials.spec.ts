import { randomBytes } from 'node:crypto';
import { CredentialCipher, KeyRingError, parseKeyRing } from './credentials';

const key = () => randomBytes(32).toString('base64');

describe('credential encryption', () => {
  const k1 = `k1:${key()}`;
  const k2 = `k2:${key()}`;
  const secrets = { accessToken: 'x-at-secret', refreshToken: 'x-rt-secret', clientId: 'prasar' };

  it('seals under the current key and opens again; the ciphertext does not contain the token', () => {
    const cipher = new CredentialCipher(k1);
    const sealed = cipher.seal('account-1', secrets);
    expect(sealed.keyId).toBe('k1');
    expect(sealed.ciphertext.toString('utf8')).not.toContain('x-at-secret');
    expect(cipher.open('account-1', sealed)).toEqual(secrets);
  });

  it('opens what an older key sealed after rotation, and seals new values under the new key', () => {
    const old = new CredentialCipher(k1).seal('account-1', secrets);
    const rotated = new CredentialCipher(`${k2},${k1}`);
    expect(rotated.open('account-1', old)).toEqual(secrets);
    expect(rotated.isStale(old)).toBe(true);
    expect(rotated.seal('account-1', secrets).keyId).toBe('k2');
    expect(() => new CredentialCipher(k2).open('account-1', old)).toThrow(
      /key "k1", which is not configured/,
    );
  });

  it('refuses a ciphertext moved to another account or tampered with', () => {
    const cipher = new CredentialCipher(k1);
    const sealed = cipher.seal('account-1', secrets);
    expect(() => cipher.open('account-2', sealed)).toThrow(KeyRingError);
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] ^= 1;
    expect(() => cipher.open('account-1', { ...sealed, ciphertext: flipped })).toThrow(/do not open/);
  });

  it('refuses a stored nonce or tag of the wrong length before decrypting (a truncated tag is forgeable)', () => {
    const cipher = new CredentialCipher(k1);
    const sealed = cipher.seal('account-1', secrets);
    expect(() => cipher.open('account-1', { ...sealed, authTag: sealed.authTag.subarray(0, 4) })).toThrow(
      /malformed \(a 12-byte nonce, a 4-byte tag\)/,
    );
    expect(() =>
      cipher.open('account-1', { ...sealed, iv: Buffer.concat([sealed.iv, Buffer.alloc(4)]) }),
    ).toThrow(/malformed \(a 16-byte nonce, a 16-byte tag\)/);
  });

  it.each([
    ['', /names no key/],
    ['nokey', /needs an id/],
    [`k1:${Buffer.alloc(16).toString('base64')}`, /must be 32 bytes/],
    [`k1:${key()},k1:${key()}`, /appears twice/],
  ])('refuses the key ring %j', (spec, message) => {
    expect(() => parseKeyRing(spec)).toThrow(message);
  });
});
