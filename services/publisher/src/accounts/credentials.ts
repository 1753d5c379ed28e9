// Account credentials at rest: AES-256-GCM under a key ring. The key id is stored beside each
// ciphertext, so a credential written under an old key still opens after rotation; every write
// seals under the current (first) key. The account id is bound in as additional authenticated
// data: a ciphertext copied onto another account's row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What the publisher keeps secret for one account. */
export interface AccountSecrets {
  accessToken: string;
  /** X: the OAuth 2.0 refresh token (single use: every refresh returns the next one). */
  refreshToken?: string;
  /** X: the OAuth 2.0 client the refresh token was issued to, and its secret for a confidential client. */
  clientId?: string;
  clientSecret?: string;
}

/** A sealed value as stored: which key, the nonce, the ciphertext and its tag. */
export interface SealedSecret {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** GCM's 96-bit nonce and full 128-bit tag: anything else stored is refused before decrypting. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown for a key ring that cannot be used; names what is wrong, never a key. */
export class KeyRingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyRingError';
  }
}

/** Parses `keyId:base64key[,keyId:base64key…]`; the first key is the current one. */
export function parseKeyRing(spec: string): { current: string; keys: Map<string, Buffer> } {
  const keys = new Map<string, Buffer>();
  const entries = spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new KeyRingError('PUBLISHER_CREDENTIALS_KEYS names no key');
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new KeyRingError(`key ${index + 1} needs an id: keyId:base64key`);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) throw new KeyRingError(`key "${id}" must be 32 bytes (base64), not ${key.length}`);
    if (keys.has(id)) throw new KeyRingError(`key id "${id}" appears twice`);
    keys.set(id, key);
  }
  return { current: entries[0].slice(0, entries[0].indexOf(':')), keys };
}

/** Seals and opens account secrets with the configured key ring. */
export class CredentialCipher {
  private readonly keys: Map<string, Buffer>;
  /** The id of the key every write uses. */
  readonly currentKeyId: string;

  constructor(keyRing: string) {
    const ring = parseKeyRing(keyRing);
    this.keys = ring.keys;
    this.currentKeyId = ring.current;
  }

  seal(accountId: string, secrets: AccountSecrets): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(accountId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return { keyId: this.currentKeyId, iv, ciphertext, authTag: cipher.getAuthTag() };
  }

  open(accountId: string, sealed: SealedSecret): AccountSecrets {
    const key = this.keys.get(sealed.keyId);
    if (!key)
      throw new KeyRingError(
        `credentials of account ${accountId} use key "${sealed.keyId}", which is not configured`,
      );
    // A short tag would let a forger try far fewer values; a wrong nonce length means tampering.
    if (sealed.iv.length !== IV_BYTES || sealed.authTag.length !== TAG_BYTES) {
      throw new KeyRingError(
        `credentials of account ${accountId} are malformed (a ${sealed.iv.length}-byte nonce, a ${sealed.authTag.length}-byte tag)`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(accountId, 'utf8'));
    decipher.setAuthTag(sealed.authTag);
    try {
      const plain = Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as AccountSecrets;
    } catch {
      throw new KeyRingError(`credentials of account ${accountId} do not open (wrong key or tampered)`);
    }
  }

  /** Whether a stored value should be sealed again under the current key. */
  isStale(sealed: Pick<SealedSecret, 'keyId'>): boolean {
    return sealed.keyId !== this.currentKeyId;
  }
}
