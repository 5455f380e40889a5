/**
 * A byte stream read as consecutive slices of at most a given size, each an async iterable that must be
 * consumed before the next is asked for. The registry cuts a PATCH body into blob-store parts this way,
 * streaming: memory holds one chunk of the request, never a part.
 */
export class ByteSlices {
  private readonly source: AsyncIterator<Uint8Array>;
  private pending: Uint8Array | undefined;
  private ended = false;
  /** Bytes handed out so far. */
  consumed = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** Whether another byte follows; reads ahead one chunk at most. */
  async hasMore(): Promise<boolean> {
    while (this.pending === undefined || this.pending.byteLength === 0) {
      if (this.ended) return false;
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.pending = next.value;
    }
    return true;
  }

  /** The next slice: `size` bytes, or fewer when the stream ends first. */
  async *next(size: number): AsyncGenerator<Uint8Array> {
    let remaining = size;
    while (remaining > 0 && (await this.hasMore())) {
      const chunk = this.pending!;
      const taken = chunk.byteLength > remaining ? chunk.subarray(0, remaining) : chunk;
      this.pending = taken === chunk ? undefined : chunk.subarray(remaining);
      remaining -= taken.byteLength;
      this.consumed += taken.byteLength;
      yield taken;
    }
  }
}
