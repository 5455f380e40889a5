import type { Readable, Writable } from 'node:stream';

/**
 * Objects under arbitrary keys in one bucket (and prefix), for files Wharf writes for people rather than for
 * itself: exports. Unlike BlobStore, keys are names, not digests, and nothing is verified on write.
 */
export interface ObjectStore {
  /** Where objects go, for messages: `s3://bucket/prefix/` (never credentials). */
  readonly location: string;
  /**
   * A stream that writes `key`; the object appears whole when the stream finishes, or not at all when it is
   * destroyed or fails. Memory stays bounded whatever the object's size.
   */
  write(key: string): Writable;
  /** The object's bytes, or undefined when there is none. */
  read(key: string): Promise<Readable | undefined>;
  /** Every object whose key starts with `prefix`, with its size. */
  list(prefix: string): AsyncIterable<{ readonly key: string; readonly size: number }>;
  removeAll(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
