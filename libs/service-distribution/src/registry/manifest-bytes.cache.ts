/** A manifest larger than this is streamed from the blob store every time and never held. */
export const MAX_CACHED_MANIFEST_BYTES = 256 * 1024;
/** Bytes held across all cached manifests; past this the least recently served are dropped. */
const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/**
 * The bytes of recently served manifests, by the digest of those bytes. A manifest GET is otherwise an open,
 * a read and a close of a small file, with a read buffer to allocate and collect, and those cost more than
 * the rest of the request together. Bytes under a digest never change, so an entry is never stale; the
 * cache is bounded by total bytes, so memory stays flat however many manifests are pulled.
 */
export class ManifestBytesCache {
  /** Insertion order is recency: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Buffer>();
  private held = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_BYTES) {}

  get(digest: string): Buffer | undefined {
    const bytes = this.entries.get(digest);
    if (bytes) {
      this.entries.delete(digest);
      this.entries.set(digest, bytes);
    }
    return bytes;
  }

  /** Keeps `bytes` (which the caller has read in full from the blob store) unless they are too large. */
  set(digest: string, bytes: Buffer): void {
    if (bytes.length > MAX_CACHED_MANIFEST_BYTES || this.entries.has(digest)) return;
    this.entries.set(digest, bytes);
    this.held += bytes.length;
    for (const [oldest, old] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.held -= old.length;
    }
  }
}
