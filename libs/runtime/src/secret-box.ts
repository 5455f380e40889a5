import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const FORMAT_PREFIX = 'v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * Seals secrets kept at rest (remote passwords, bearer tokens) with AES-256-GCM under WHARF_SECRET_KEY.
 *
 * Sealed form: `v1:<base64 of iv (12 random bytes) ‖ ciphertext ‖ GCM tag (16 bytes)>`. The prefix names the
 * format so that a later one (say, with a key id for rotation) can be told apart from values already stored.
 * A fresh IV per seal means sealing the same password twice gives different text, so equal secrets are not
 * visible as equal in the event log.
 *
 * How remotes use it: the sync service seals a remote's credentials as soon as a create or update reaches it,
 * before the change is decided and its events appended, so the plaintext is never in an event, a task
 * payload, a read model, a response (those fields are write-only) or a log line. It crosses the bus only
 * inside the request/reply query that carries the API call, which NATS does not store. The sync service
 * opens them in memory for its own downloads.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) {
      throw new SecretBoxError(`a SecretBox key is ${KEY_BYTES} bytes, got ${key.length}`);
    }
    this.#key = Buffer.from(key);
  }

  /** A SecretBox for a key as WHARF_SECRET_KEY carries it (base64). */
  static fromBase64Key(base64Key: string): SecretBox {
    const key = decodeSecretKey(base64Key);
    if (!key) throw new SecretBoxError(`a SecretBox key is ${KEY_BYTES} random bytes in base64`);
    return new SecretBox(key);
  }

  /** A new random key in the form WHARF_SECRET_KEY expects. */
  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return FORMAT_PREFIX + Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64');
  }

  /** The plaintext of a sealed value; throws SecretBoxError if it was altered or sealed under another key. */
  open(sealed: string): string {
    const body = sealed.startsWith(FORMAT_PREFIX) ? sealed.slice(FORMAT_PREFIX.length) : undefined;
    if (body === undefined || !BASE64.test(body)) {
      throw new SecretBoxError(`sealed secret is not in the ${FORMAT_PREFIX}<base64> format`);
    }
    const bytes = Buffer.from(body, 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('sealed secret is truncated');
    const iv = bytes.subarray(0, IV_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      // GCM cannot tell a changed ciphertext from a different key: both fail the tag check.
      throw new SecretBoxError('sealed secret was altered or sealed under a different WHARF_SECRET_KEY');
    }
  }
}

/** The key bytes of a base64 WHARF_SECRET_KEY, or undefined when it is not exactly 32 bytes of base64. */
export function decodeSecretKey(base64Key: string): Buffer | undefined {
  const trimmed = base64Key.trim();
  if (!BASE64.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}
