import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { Client, CopyDestinationOptions, CopySourceOptions } from 'minio';

/** A failed S3 request, naming the bucket, key and the server's error code (never credentials). */
export class S3RequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'S3RequestError';
  }
}

/** A body whose length and sha256 are known before it is sent, as S3 needs for a part. */
export interface SizedBody {
  readonly size: number;
  readonly sha256Hex: string;
  open(): Buffer | Readable;
}

export interface CompletedPart {
  readonly part: number;
  readonly etag: string;
}

/** CopyObject's limit; larger objects are copied in ranges. */
const MAX_COPY_OBJECT_SIZE = 5 * 1024 ** 3;
/** 1 GiB ranges keep the largest S3 object (5 TiB) within the 10,000 parts of one multipart upload. */
const COPY_PART_SIZE = 1024 ** 3;

/**
 * The requests S3BlobStore makes, on one bucket, named for what they do. It is the only code that talks to
 * the minio client, and it turns every failure into an S3RequestError that says what was being done to
 * which key.
 *
 * Multipart calls go to the client's low-level methods on purpose: its high-level `putObject` first looks
 * for an unfinished upload of the same key with `GET ?uploads`, which s3rver (the test server) lacks and
 * which this store never needs, since every multipart upload it starts has a key of its own.
 */
export class S3Bucket {
  constructor(
    private readonly client: Client,
    readonly name: string,
  ) {}

  async exists(): Promise<boolean> {
    return this.request('check of bucket', '', () => this.client.bucketExists(this.name));
  }

  async sizeOf(key: string): Promise<number | undefined> {
    try {
      return (await this.request('stat', key, () => this.client.statObject(this.name, key))).size;
    } catch (error) {
      if (hasCode(error, 'NotFound', 'NoSuchKey')) return undefined;
      throw error;
    }
  }

  async read(key: string): Promise<Readable | undefined> {
    try {
      return await this.request('read', key, () => this.client.getObject(this.name, key));
    } catch (error) {
      if (hasCode(error, 'NoSuchKey', 'NotFound')) return undefined;
      throw error;
    }
  }

  /** Exactly `length` bytes from `start`; the caller has checked that the object holds them. */
  async readRange(key: string, start: number, length: number): Promise<Readable> {
    const body = await this.request('read range of', key, () =>
      this.client.getPartialObject(this.name, key, start, length),
    );
    // s3rver answers `Range: bytes=0-0` with the whole object. S3 and MinIO send just the range, which
    // this cut then leaves as it is.
    return Readable.from(firstBytes(body, length), { objectMode: false });
  }

  async readJson<T>(key: string): Promise<T | undefined> {
    const body = await this.read(key);
    if (!body) return undefined;
    const json = await text(body);
    try {
      return JSON.parse(json) as T;
    } catch (error) {
      throw new Error(`S3 object ${this.name}/${key} is not valid JSON`, { cause: error });
    }
  }

  async putBuffer(key: string, content: Buffer): Promise<void> {
    await this.request('write', key, () => this.client.putObject(this.name, key, content, content.length));
  }

  async writeJson(key: string, value: unknown): Promise<void> {
    await this.putBuffer(key, Buffer.from(JSON.stringify(value)));
  }

  /** Removing a missing key succeeds, as in S3 itself. */
  async remove(key: string): Promise<void> {
    await this.request('remove', key, () => this.client.removeObject(this.name, key));
  }

  async removeAll(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const results = await this.request('remove', `${keys[0]} and others`, () =>
      this.client.removeObjects(this.name, [...keys]),
    );
    const failed = results.find((result) => result?.Error);
    if (failed?.Error) {
      throw new S3RequestError(
        `S3 remove of ${this.name}/${failed.Error.Key} failed (${failed.Error.Code}): ${failed.Error.Message}`,
        failed.Error.Code,
        { cause: failed },
      );
    }
  }

  /** A server-side copy, so the bytes never pass through this process. */
  async copy(sourceKey: string, targetKey: string, size: number): Promise<void> {
    if (size > MAX_COPY_OBJECT_SIZE) return this.copyInRanges(sourceKey, targetKey, size);
    await this.request('copy to', targetKey, () =>
      this.client.copyObject(
        new CopySourceOptions({ Bucket: this.name, Object: sourceKey }),
        new CopyDestinationOptions({ Bucket: this.name, Object: targetKey }),
      ),
    );
  }

  async *list(prefix: string): AsyncGenerator<{ key: string; size: number }> {
    try {
      for await (const item of this.client.listObjectsV2(this.name, prefix, true)) {
        if (item.name !== undefined) yield { key: item.name, size: item.size };
      }
    } catch (error) {
      throw this.failure('list', prefix, error);
    }
  }

  /** The "directories" directly below `prefix`, each ending in `/`. */
  async *listPrefixes(prefix: string): AsyncGenerator<string> {
    try {
      for await (const item of this.client.listObjectsV2(this.name, prefix, false)) {
        if (item.prefix !== undefined) yield item.prefix;
      }
    } catch (error) {
      throw this.failure('list', prefix, error);
    }
  }

  async startMultipart(key: string): Promise<string> {
    return this.request('start multipart upload of', key, () =>
      this.client.initiateNewMultipartUpload(this.name, key, {}),
    );
  }

  /** Streams one part (S3 wants its length up front) and returns the ETag that completing it needs. */
  async uploadPart(key: string, uploadId: string, partNumber: number, part: SizedBody): Promise<string> {
    const body = part.open();
    try {
      return await this.request(`upload part ${partNumber} of`, key, async () => {
        const response = await this.client.makeRequestStreamAsync(
          {
            method: 'PUT',
            bucketName: this.name,
            objectName: key,
            query: `partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`,
            headers: { 'Content-Length': part.size },
          },
          body,
          // Plain-http requests sign the payload's hash; over https the client signs UNSIGNED-PAYLOAD.
          this.client.enableSHA256 ? part.sha256Hex : '',
          [200],
          this.client.region ?? '',
        );
        await text(response);
        const etag = response.headers.etag;
        if (!etag) throw new Error('the server sent no ETag for the part');
        return etag.replaceAll('"', '');
      });
    } finally {
      if (body instanceof Readable) body.destroy(); // a failed request leaves the file open otherwise
    }
  }

  async completeMultipart(key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void> {
    await this.request('complete multipart upload of', key, () =>
      this.client.completeMultipartUpload(this.name, key, uploadId, [...parts]),
    );
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    await this.request('abort multipart upload of', key, () =>
      this.client.abortMultipartUpload(this.name, key, uploadId),
    );
  }

  async presignGet(key: string, expirySeconds: number): Promise<string> {
    return this.request('presign', key, () => this.client.presignedGetObject(this.name, key, expirySeconds));
  }

  // Untested here: s3rver lacks UploadPartCopy, and no test object reaches 5 GiB.
  private async copyInRanges(sourceKey: string, targetKey: string, size: number): Promise<void> {
    const uploadId = await this.startMultipart(targetKey);
    const copySource = `/${this.name}/${sourceKey.split('/').map(encodeURIComponent).join('/')}`;
    try {
      const parts: CompletedPart[] = [];
      for (let start = 0, part = 1; start < size; start += COPY_PART_SIZE, part++) {
        const end = Math.min(start + COPY_PART_SIZE, size) - 1;
        const { etag } = await this.request(`copy part ${part} to`, targetKey, () =>
          this.client.uploadPart({
            bucketName: this.name,
            objectName: targetKey,
            uploadID: uploadId,
            partNumber: part,
            headers: { 'x-amz-copy-source': copySource, 'x-amz-copy-source-range': `bytes=${start}-${end}` },
          }),
        );
        parts.push({ part, etag });
      }
      await this.completeMultipart(targetKey, uploadId, parts);
    } catch (error) {
      await this.abortMultipart(targetKey, uploadId).catch(() => undefined); // the copy error matters more
      throw error;
    }
  }

  private async request<T>(action: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.failure(action, key, error);
    }
  }

  private failure(action: string, key: string, error: unknown): S3RequestError {
    const code = codeOf(error);
    const reason = error instanceof Error ? error.message : String(error);
    const target = key ? `${this.name}/${key}` : this.name;
    return new S3RequestError(`S3 ${action} ${target} failed${code ? ` (${code})` : ''}: ${reason}`, code, {
      cause: error,
    });
  }
}

async function* firstBytes(body: Readable, length: number): AsyncGenerator<Buffer> {
  let remaining = length;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    yield chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
    remaining -= Math.min(chunk.length, remaining);
    if (remaining === 0) return; // ends the response too
  }
}

/** Whether an S3RequestError (or a minio error) carries one of the given S3 error codes. */
export function hasCode(error: unknown, ...codes: string[]): boolean {
  const code = codeOf(error);
  return code !== undefined && codes.includes(code);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
