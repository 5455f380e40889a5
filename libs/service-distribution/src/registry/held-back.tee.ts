import type { PassThrough, Readable } from 'node:stream';

/**
 * Copies `source` into `store` and, one chunk behind, into `client`: the last chunk reaches the client only
 * once the source ended cleanly (its digest verified), so a mismatch leaves the client short of its
 * Content-Length and the response is cut. A client that goes away does not stop the store's copy. Either
 * target may be absent (policy streamed keeps nothing; a waiting pull needs only the store).
 */
export function teeHoldingBack(
  source: Readable,
  store: PassThrough | undefined,
  client: PassThrough | undefined,
): void {
  let held: Buffer | undefined;
  const gone = new Set<PassThrough>();
  const waiting = new Set<PassThrough>();
  const resume = (stream: PassThrough) => {
    if (waiting.delete(stream) && waiting.size === 0) source.resume();
  };
  const write = (stream: PassThrough | undefined, chunk: Buffer) => {
    if (!stream || gone.has(stream)) return;
    if (!stream.write(chunk) && !waiting.has(stream)) {
      waiting.add(stream);
      source.pause();
      stream.once('drain', () => resume(stream));
    }
  };
  const leave = (stream: PassThrough) => {
    gone.add(stream);
    resume(stream);
    // With no reader left, the download has no one to serve.
    if ((!store || gone.has(store)) && (!client || gone.has(client))) source.destroy();
  };
  // The store's reader ends with its put, which reports its own failure; a client may hang up any time.
  store?.on('error', () => undefined);
  store?.once('close', () => leave(store));
  client?.once('close', () => leave(client));
  source.on('data', (chunk: Buffer) => {
    write(store, chunk);
    if (!client) return;
    if (held) write(client, held);
    held = chunk;
  });
  source.once('end', () => {
    store?.end();
    if (!client || gone.has(client)) return;
    if (held) client.write(held);
    client.end();
  });
  source.once('error', (error) => {
    store?.destroy(error);
    client?.destroy(error);
  });
}
