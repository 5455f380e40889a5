import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { Infrastructure } from '@wharf/runtime';

/**
 * How long a presigned URL handed out in a redirect stays valid: long enough for a client on a slow link to
 * finish (and retry ranges of) a large layer, short enough that a leaked URL soon stops working.
 */
export const REDIRECT_EXPIRY_SECONDS = 20 * 60;

/**
 * The body of a blob GET: a redirect to the bucket when WHARF_S3_REDIRECT allows it (the bytes then never
 * pass through this process), else the bytes streamed from the blob store.
 */
@Injectable()
export class BlobResponseWriter {
  private readonly redirects: boolean;

  constructor(
    infrastructure: Infrastructure,
    private readonly blobs: BlobStore,
  ) {
    this.redirects = infrastructure.settings.s3?.redirect ?? false;
  }

  /**
   * Answers 307 to a presigned URL of the blob and returns true, or returns false (redirects off, or a store
   * that cannot presign) and leaves the response untouched. A client's `Range` header goes with it to the
   * bucket, which answers the range itself.
   */
  async redirect(response: ServerResponse, digest: string): Promise<boolean> {
    if (!this.redirects) return false;
    const location = await this.blobs.presignedGetUrl(digest, REDIRECT_EXPIRY_SECONDS);
    if (location === undefined) return false;
    response.setHeader('Docker-Content-Digest', digest);
    response.setHeader('Location', location);
    response.setHeader('Content-Length', 0);
    response.writeHead(307).end();
    return true;
  }

  /**
   * Writes the status and headers already set on `response`, then streams `body` (from the blob store) to it.
   * One chunk is written at a time and handed back to the store once the socket took it, so the store reads
   * the next bytes into the same memory (see BlobStore.recycle); the stream still reads ahead meanwhile. A
   * body that fails part way cuts the response short, so the client sees an incomplete body, never a whole
   * wrong one.
   */
  async stream(response: ServerResponse, status: number, body: Readable): Promise<void> {
    response.writeHead(status);
    try {
      for await (const chunk of body) {
        await written(response, chunk as Buffer);
        this.blobs.recycle(chunk as Buffer);
      }
    } catch (error) {
      response.destroy();
      throw error;
    }
    response.end();
  }
}

/**
 * Resolves once `chunk` has been handed to the socket, rejects when the connection went away first. A
 * response whose connection is gone never calls a write's callback, so its `close` is watched as well. The
 * rejection carries Node's premature-close code, which the handler treats as a client hanging up.
 */
function written(response: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const gone = (cause?: Error | null) =>
      reject(
        Object.assign(new Error('the connection closed before the blob was sent', { cause }), {
          code: 'ERR_STREAM_PREMATURE_CLOSE',
        }),
      );
    if (response.destroyed) {
      gone();
      return;
    }
    const onClose = () => gone();
    response.once('close', onClose);
    response.write(chunk, (error) => {
      response.off('close', onClose);
      if (error) gone(error);
      else resolve();
    });
  });
}
