import { RangeNotSatisfiableError, type ByteRange } from '../index.js';

const SHA256_DIGEST = /^sha256:([0-9a-f]{64})$/;

/**
 * The hex part of a well-formed sha256 digest, or undefined. Digests arrive from clients and become file
 * names, so anything else (other algorithms, `..`, upper case) is treated as a digest that cannot exist.
 */
export function sha256Hex(digest: string): string | undefined {
  return SHA256_DIGEST.exec(digest)?.[1];
}

export function sha256Digest(hex: string): string {
  return `sha256:${hex}`;
}

/**
 * Ranges are strict: every byte named must exist, so the stream returned always holds exactly
 * `end - start + 1` bytes and a caller can announce that length before reading.
 */
export function assertRangeSatisfiable(range: ByteRange, size: number): void {
  const { start, end } = range;
  const valid = Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end;
  if (!valid || end >= size) throw new RangeNotSatisfiableError(range, size);
}
