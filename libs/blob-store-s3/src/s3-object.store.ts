import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { Client } from 'minio';
import type { ObjectStore } from '@wharf/ports';
import { writeObjectInParts } from './multipart-object.writer.js';
import { S3Bucket } from './s3-bucket.client.js';
import { clientOptionsFor, type S3BlobStoreOptions } from './s3-endpoint.config.js';

const MiB = 1024 * 1024;
/**
 * Part size of a streamed object. A writer holds the part being gathered and, while it is sent, the bytes of
 * the next that its source pushes until backpressure stops it: about two parts (16 MiB) per open object.
 * 8 MiB parts cap an object at 10,000 parts, 78 GiB; exports larger than that need `chunk_size`.
 */
const OBJECT_PART_SIZE = 8 * MiB;

/**
 * ObjectStore on an S3 bucket, keys under an optional prefix. Writes go through S3 multipart upload part by
 * part (the minio client's `putObject` would buffer parts of up to 64 MiB and look for unfinished uploads),
 * and an object becomes visible only when its upload completes.
 */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  private readonly agent: HttpAgent;
  private readonly bucket: S3Bucket;
  private readonly prefix: string;

  constructor(
    options: S3BlobStoreOptions,
    private readonly partSize = OBJECT_PART_SIZE,
  ) {
    if (partSize < 5 * MiB) throw new Error('S3 refuses multipart parts smaller than 5 MiB');
    const clientOptions = clientOptionsFor(options);
    this.agent = clientOptions.useSSL
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    this.bucket = new S3Bucket(new Client({ ...clientOptions, transportAgent: this.agent }), options.bucket);
    this.prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
    this.location = `s3://${options.bucket}/${this.prefix}`;
  }

  write(key: string): Writable {
    return new ObjectWriteStream((body) =>
      writeObjectInParts(this.bucket, this.prefix + key, body, this.partSize),
    );
  }

  read(key: string): Promise<Readable | undefined> {
    return this.bucket.read(this.prefix + key);
  }

  async *list(prefix: string): AsyncGenerator<{ key: string; size: number }> {
    for await (const item of this.bucket.list(this.prefix + prefix)) {
      yield { key: item.key.slice(this.prefix.length), size: item.size };
    }
  }

  async removeAll(keys: readonly string[]): Promise<void> {
    // S3's DeleteObjects takes at most 1,000 keys.
    for (let i = 0; i < keys.length; i += 1000) {
      await this.bucket.removeAll(keys.slice(i, i + 1000).map((key) => this.prefix + key));
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

/**
 * A Writable in front of an upload that consumes an async iterable: written chunks pass through a PassThrough
 * (its backpressure holds the writer while a part is sent), and the stream finishes only once the upload has
 * completed. Destroying it ends the body with an error, which aborts the multipart upload.
 */
class ObjectWriteStream extends Writable {
  private readonly body = new PassThrough();
  private readonly upload: Promise<void>;

  constructor(send: (body: AsyncIterable<Uint8Array>) => Promise<void>) {
    super();
    this.upload = send(this.body);
    this.upload.catch((error: unknown) => this.destroy(error as Error));
  }

  override _write(chunk: Buffer, _encoding: string, callback: (error?: Error | null) => void) {
    if (this.body.write(chunk)) callback();
    else this.body.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void) {
    this.body.end();
    this.upload.then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void) {
    if (!this.body.writableFinished) this.body.destroy(error ?? new Error('object write abandoned'));
    callback(error);
  }
}
