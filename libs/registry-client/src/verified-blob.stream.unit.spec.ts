import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { VerifiedBlobStream, type BlobVerificationFailures } from './verified-blob.stream.js';

const failures: BlobVerificationFailures = {
  mismatch: (actual) => new Error(`mismatch ${actual}`),
  truncated: (received) => new Error(`truncated after ${received}`),
  broken: (cause) => new Error(`broken: ${String(cause)}`),
};
const bytes = Buffer.from('the quick brown fox');
const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('VerifiedBlobStream', () => {
  it('passes the bytes through and ends when the digest matches', async () => {
    const stream = VerifiedBlobStream.verifying(
      Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]),
      digest,
      bytes.length,
      failures,
    );
    expect(Buffer.concat(await stream.toArray())).toEqual(bytes);
  });

  it('fails at the end when the bytes hash to another digest', async () => {
    const other = Buffer.from('the quick brown cat');
    const stream = VerifiedBlobStream.verifying(Readable.from([other]), digest, other.length, failures);
    const actual = `sha256:${createHash('sha256').update(other).digest('hex')}`;
    await expect(stream.toArray()).rejects.toThrow(`mismatch ${actual}`);
  });

  it('fails when the source ends or breaks before the announced length', async () => {
    const short = VerifiedBlobStream.verifying(
      Readable.from([bytes.subarray(0, 4)]),
      digest,
      bytes.length,
      failures,
    );
    await expect(short.toArray()).rejects.toThrow('truncated after 4');

    const source = new PassThrough();
    const broken = VerifiedBlobStream.verifying(source, digest, bytes.length, failures);
    source.write(bytes.subarray(0, 6));
    setImmediate(() => source.destroy(new Error('socket closed')));
    await expect(broken.toArray()).rejects.toThrow('truncated after 6');
  });

  it('without checkDigest, leaves the digest to the consumer but still fails a short body', async () => {
    const other = Buffer.from('the quick brown cat');
    const unchecked = VerifiedBlobStream.verifying(
      Readable.from([other]),
      digest,
      other.length,
      failures,
      false,
    );
    expect(Buffer.concat(await unchecked.toArray())).toEqual(other);

    const short = VerifiedBlobStream.verifying(
      Readable.from([bytes.subarray(0, 4)]),
      digest,
      bytes.length,
      failures,
      false,
    );
    await expect(short.toArray()).rejects.toThrow('truncated after 4');
  });

  it('stops the source when the consumer destroys the stream', async () => {
    const source = new PassThrough();
    const stream = VerifiedBlobStream.verifying(source, digest, undefined, failures);
    stream.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.destroyed).toBe(true);
  });
});
