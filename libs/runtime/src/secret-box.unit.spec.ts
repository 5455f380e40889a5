import { describe, expect, it } from 'vitest';
import { SecretBox, SecretBoxError, decodeSecretKey } from './secret-box.js';

const box = SecretBox.fromBase64Key(SecretBox.generateKey());

describe('SecretBox', () => {
  it('opens what it sealed, including non-ASCII and empty secrets', () => {
    for (const secret of ['hunter2', 'pässwörd 🔑', '', 'x'.repeat(10_000)]) {
      expect(box.open(box.seal(secret))).toBe(secret);
    }
  });

  it('writes the versioned format and never the plaintext', () => {
    const sealed = box.seal('registry-token-123');
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/]+={0,2}$/);
    expect(sealed).not.toContain('registry-token-123');
    expect(Buffer.from(sealed.slice(3), 'base64').toString('latin1')).not.toContain('registry-token-123');
  });

  it('seals the same secret differently each time (random IV)', () => {
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('detects any changed byte', () => {
    const bytes = Buffer.from(box.seal('do not touch').slice(3), 'base64');
    for (const position of [0, 12, bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[position]! ^= 0x01;
      expect(() => box.open(`v1:${tampered.toString('base64')}`)).toThrow(/altered/);
    }
  });

  it('refuses a secret sealed under another key', () => {
    const other = SecretBox.fromBase64Key(SecretBox.generateKey());
    expect(() => other.open(box.seal('mine'))).toThrow(SecretBoxError);
    expect(() => other.open(box.seal('mine'))).toThrow(/different WHARF_SECRET_KEY/);
  });

  it('names malformed input without guessing', () => {
    expect(() => box.open('hunter2')).toThrow(/not in the v1:<base64> format/);
    expect(() => box.open('v2:AAAA')).toThrow(/not in the v1:<base64> format/);
    expect(() => box.open('v1:not base64!')).toThrow(/not in the v1:<base64> format/);
    expect(() => box.open('v1:AAAA')).toThrow(/truncated/);
  });

  it('accepts only 32-byte keys', () => {
    expect(() => new SecretBox(new Uint8Array(16))).toThrow(/32 bytes, got 16/);
    expect(() => SecretBox.fromBase64Key(Buffer.alloc(31).toString('base64'))).toThrow(/32 random bytes/);
    expect(decodeSecretKey(SecretBox.generateKey())).toHaveLength(32);
    expect(decodeSecretKey('not-base64!')).toBeUndefined();
  });
});
