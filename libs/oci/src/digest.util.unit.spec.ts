import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import {
  createDigester,
  DigestingTransform,
  InvalidDigestError,
  isDigest,
  parseDigest,
  sha256Digest,
} from './index.js';

const hex64 = 'a'.repeat(64);
const hex128 = '0123456789abcdef'.repeat(8);

function nodeSha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

describe('sha256Digest', () => {
  it('given bytes, when digested, then it is "sha256:" and the lowercase hex of their hash', () => {
    expect(sha256Digest(new Uint8Array())).toBe(
      'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Digest(Buffer.from('{}'))).toBe(
      'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
  });
});

describe('isDigest / parseDigest', () => {
  it.each([`sha256:${hex64}`, `sha512:${hex128}`])('given %s, then it is a digest', (value) => {
    expect(isDigest(value)).toBe(true);
    const [algorithm, encoded] = value.split(':');
    expect(parseDigest(value)).toEqual({ algorithm, encoded });
  });

  it.each([
    ['a short sha256', `sha256:${'a'.repeat(63)}`, /64 lowercase hex/],
    ['a long sha256', `sha256:${'a'.repeat(65)}`, /64 lowercase hex/],
    ['uppercase hex', `sha256:${'A'.repeat(64)}`, /64 lowercase hex/],
    ['a sha512 of sha256 length', `sha512:${hex64}`, /128 lowercase hex/],
    ['an unknown algorithm that fits the grammar', `md5+b64:${hex64}`, /unsupported algorithm md5\+b64/],
    ['no colon', hex64, /grammar/],
    ['an uppercase algorithm', `SHA256:${hex64}`, /grammar/],
    ['an empty encoded part', 'sha256:', /grammar/],
    ['a separator at the end of the algorithm', `sha256+:${hex64}`, /grammar/],
    ['characters outside the encoded alphabet', `sha256:${'a'.repeat(63)}/`, /grammar/],
    ['the empty string', '', /grammar/],
  ])('given %s, then it is refused with the rule it breaks', (_case, value, reason) => {
    expect(isDigest(value)).toBe(false);
    const error = (() => {
      try {
        parseDigest(value);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidDigestError);
    expect((error as InvalidDigestError).message).toMatch(reason);
  });

  it('given a value that is not a string, then it is not a digest', () => {
    expect(isDigest(42)).toBe(false);
    expect(isDigest(undefined)).toBe(false);
  });
});

describe('createDigester', () => {
  it('given chunks, when updated one by one, then the digest equals that of the whole and size counts bytes', () => {
    const digester = createDigester();
    const chunks = [Buffer.from('hello '), Buffer.from('wharf'), new Uint8Array([0, 1, 2])];
    chunks.forEach((chunk) => digester.update(chunk));
    expect(digester.size).toBe(14);
    expect(digester.digest()).toBe(nodeSha256(Buffer.concat(chunks)));
    expect(digester.digest()).toBe(nodeSha256(Buffer.concat(chunks)));
  });

  it('given a sha512 digester, then the digest is a valid sha512 digest', () => {
    const digester = createDigester('sha512');
    digester.update(Buffer.from('x'));
    expect(digester.digest()).toBe(`sha512:${createHash('sha512').update('x').digest('hex')}`);
  });

  it('given a finished digester, when updated again, then it refuses instead of returning a stale digest', () => {
    const digester = createDigester();
    digester.digest();
    expect(() => digester.update(Buffer.from('late'))).toThrow(/after digest/);
  });
});

describe('DigestingTransform', () => {
  it('given a stream piped through it, then the bytes pass unchanged and digest() hashes them', async () => {
    const chunks = Array.from({ length: 50 }, (_, index) => Buffer.alloc(1000, index));
    const transform = new DigestingTransform();
    const received: Buffer[] = [];
    await pipeline(Readable.from(chunks), transform, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) received.push(chunk);
    });
    expect(Buffer.concat(received)).toEqual(Buffer.concat(chunks));
    expect(transform.size).toBe(50_000);
    expect(transform.digest()).toBe(nodeSha256(Buffer.concat(chunks)));
  });

  it('given a stream that has not ended, when asked for the digest, then it refuses', () => {
    expect(() => new DigestingTransform().digest()).toThrow(/before the stream ended/);
  });
});
