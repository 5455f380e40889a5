import type { ByteRange } from '@wharf/ports';
import { RegistryError } from './registry.errors.js';

/**
 * The single byte range a `Range` header asks for, resolved against an object of `size` bytes; undefined
 * when the whole object is wanted (no header, or a unit other than bytes, which HTTP says to ignore).
 * Clients resuming a layer download send one range; several ranges (multipart responses) are not served.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (!trimmed.toLowerCase().startsWith('bytes=')) return undefined;
  const spec = trimmed.slice('bytes='.length).trim();
  const match = /^(\d*)-(\d*)$/.exec(spec);
  if (!match || (match[1] === '' && match[2] === '')) throw unsatisfiable(header, size);
  if (match[1] === '') {
    // A suffix: the last N bytes.
    const length = Number(match[2]);
    if (length === 0 || size === 0) throw unsatisfiable(header, size);
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || start > end) throw unsatisfiable(header, size);
  return { start, end };
}

function unsatisfiable(header: string, size: number): RegistryError {
  return new RegistryError(
    'RANGE_INVALID',
    `range ${header} not satisfiable for ${size} bytes`,
    { range: header, size },
    416,
    { 'Content-Range': `bytes */${size}` },
  );
}
