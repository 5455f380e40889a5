import { pipeline, type Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { DigestMismatchError, type BlobStore } from '@wharf/ports';
import { MAX_MANIFEST_BYTES } from '@wharf/oci';
import { TarballInvalidError } from './tarball.errors.js';

/** A regular file of the archive, now in the blob store. */
export interface StoredEntry {
  readonly digest: string;
  readonly size: number;
  /** The first bytes, enough to recognise gzip or zstd by their magic numbers. */
  readonly head: Buffer;
}

/** What one pass over an archive leaves: every file's blob, and the small top-level metadata files' bytes. */
export interface TarballEntries {
  readonly files: ReadonlyMap<string, StoredEntry>;
  readonly metadata: ReadonlyMap<string, Buffer>;
}

export interface TarballLimits {
  /** No entry may claim more bytes than this (the archive's own size: an entry cannot be larger). */
  readonly maxEntryBytes: number;
  readonly maxEntries?: number;
}

/**
 * The top-level files docker-archive and oci-archive describe their images with. They are held in memory,
 * never stored, and like manifests they may not exceed MAX_MANIFEST_BYTES.
 */
const METADATA_FILES = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories']);
const MAX_METADATA_BYTES = MAX_MANIFEST_BYTES;
const DEFAULT_MAX_ENTRIES = 100_000;
const HEAD_BYTES = 8;
const MAX_LINK_HOPS = 8;
/** `blobs/<algorithm>/<hex>`: an OCI layout's content, stored under the digest its name claims. */
const OCI_BLOB_PATH = /^blobs\/sha256\/([0-9a-f]{64})$/;

/**
 * Reads a tar stream once, streaming every regular file into the blob store (which hashes it and, for an OCI
 * layout's `blobs/sha256/<hex>`, verifies the name) and keeping only the metadata files in memory. Entries a
 * well-formed image archive never has — paths leaving the archive, hard links, symbolic links out of it,
 * devices, sizes beyond the archive's — refuse the whole archive, naming the entry. A blob stored before a later entry is refused stays
 * unreferenced until orphan cleanup removes it, as a refused artifact's does.
 */
export async function readTarballEntries(
  source: Readable,
  blobs: BlobStore,
  limits: TarballLimits,
): Promise<TarballEntries> {
  const files = new Map<string, StoredEntry>();
  const metadata = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const seen = new Set<string>();
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ENTRIES;
  let count = 0;
  const tar = extract();
  // Errors of either stream reach the loop below through the extractor, which pipeline destroys with them.
  let archiveError: Error | undefined;
  tar.on('error', (error: Error) => (archiveError ??= error));
  pipeline(source, tar, () => undefined);
  let current = '';
  try {
    for await (const entry of tar) {
      const header = entry.header;
      current = header.name;
      const name = safeName(header.name);
      if (++count > maxEntries) {
        throw new TarballInvalidError(name, `the archive has more than ${maxEntries} entries`);
      }
      checkSize(name, header, limits.maxEntryBytes);
      if (header.type === 'directory') {
        entry.resume();
        continue;
      }
      checkType(name, header);
      if (seen.has(name)) throw new TarballInvalidError(name, 'appears twice in the archive');
      seen.add(name);
      if (header.type === 'symlink') {
        links.set(name, linkTarget(name, header.linkname ?? ''));
        entry.resume();
      } else if (METADATA_FILES.has(name)) {
        metadata.set(name, await readMetadata(name, entry, header.size ?? 0));
      } else {
        files.set(name, await storeEntry(name, entry, blobs));
      }
    }
  } catch (error) {
    tar.destroy();
    source.destroy();
    throw asTarballError(error, archiveError, current);
  }
  for (const [name, target] of links) files.set(name, resolveLink(name, target, files, links));
  return { files, metadata };
}

/**
 * A symbolic link's target as an archive path. skopeo's docker-archives link the legacy `<id>/layer.tar` names
 * to the layer files, so a link to a regular file inside the archive is an alias of it; a link out of the
 * archive is refused.
 */
function linkTarget(name: string, linkname: string): string {
  const refuse = () =>
    new TarballInvalidError(name, `is a symbolic link to ${JSON.stringify(linkname)}, outside the archive`);
  if (linkname === '' || linkname.startsWith('/')) throw refuse();
  const segments = name.split('/').slice(0, -1);
  for (const segment of linkname.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') segments.push(segment);
    else if (segments.pop() === undefined) throw refuse();
  }
  return segments.join('/');
}

function resolveLink(
  name: string,
  target: string,
  files: ReadonlyMap<string, StoredEntry>,
  links: ReadonlyMap<string, string>,
): StoredEntry {
  let path = target;
  for (let hops = 0; hops < MAX_LINK_HOPS && links.has(path); hops++) path = links.get(path)!;
  const file = files.get(path);
  if (!file || links.has(path)) {
    throw new TarballInvalidError(
      name,
      `is a symbolic link to ${JSON.stringify(target)}, which is not a regular file of the archive`,
    );
  }
  return file;
}

/**
 * The entry's path relative to the archive root: `./` prefixes and empty segments dropped; absolute paths
 * and `..` refused, since a well-formed archive names nothing outside itself.
 */
export function safeName(raw: string): string {
  if (raw.startsWith('/')) throw new TarballInvalidError(raw, 'absolute paths are not allowed');
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw new TarballInvalidError(raw, "paths with '..' are not allowed");
  if (segments.length === 0) throw new TarballInvalidError(raw, 'the entry has no name');
  if ([...raw].some((c) => c.charCodeAt(0) < 0x20))
    throw new TarballInvalidError(raw, 'the name holds control characters');
  return segments.join('/');
}

function checkSize(name: string, header: Header, maxEntryBytes: number): void {
  const size = header.size ?? 0;
  if (!Number.isSafeInteger(size) || size < 0 || size > maxEntryBytes) {
    throw new TarballInvalidError(
      name,
      `its header claims ${size} bytes, more than the ${maxEntryBytes}-byte archive can hold`,
    );
  }
}

function checkType(name: string, header: Header): void {
  if (header.type === 'file' || header.type === 'contiguous-file' || header.type === 'symlink') return;
  const kind =
    header.type === 'link'
      ? `a hard link (to ${JSON.stringify(header.linkname ?? '')})`
      : `a ${header.type ?? 'unknown'} entry`;
  throw new TarballInvalidError(
    name,
    `is ${kind}; an image archive holds only regular files and directories`,
  );
}

async function readMetadata(name: string, entry: AsyncIterable<unknown>, size: number): Promise<Buffer> {
  if (size > MAX_METADATA_BYTES) {
    throw new TarballInvalidError(name, `${size} bytes is over the ${MAX_METADATA_BYTES}-byte limit`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of entry) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function storeEntry(
  name: string,
  entry: AsyncIterable<unknown>,
  blobs: BlobStore,
): Promise<StoredEntry> {
  const claimed = OCI_BLOB_PATH.exec(name);
  const head: Buffer[] = [];
  let headLength = 0;
  const observed = (async function* () {
    for await (const chunk of entry) {
      if (headLength < HEAD_BYTES) {
        head.push((chunk as Buffer).subarray(0, HEAD_BYTES - headLength));
        headLength += head.at(-1)!.length;
      }
      yield chunk as Uint8Array;
    }
  })();
  try {
    const stored = await blobs.put(observed, claimed ? `sha256:${claimed[1]}` : undefined);
    return { digest: stored.digest, size: stored.size, head: Buffer.concat(head) };
  } catch (error) {
    if (error instanceof DigestMismatchError) {
      throw new TarballInvalidError(
        name,
        `its content has digest ${error.actual}, not the one its name claims`,
      );
    }
    throw error;
  }
}

/**
 * tar-stream's own errors (bad checksums, an archive ending mid-entry) describe the archive; the entry being
 * read when it ended sees only its stream destroyed. Other errors (the blob store's) pass through as they are.
 */
function asTarballError(error: unknown, archiveError: Error | undefined, entry: string): Error {
  if (error instanceof TarballInvalidError) return error;
  const destroyed = error instanceof Error && error.name === 'StreamError' && /destroyed/.test(error.message);
  if (archiveError !== undefined || destroyed) {
    const cause = (archiveError ?? (error as Error)).message;
    return new TarballInvalidError(
      '',
      `not a readable tar archive${entry ? ` (it breaks off in or after ${JSON.stringify(entry)})` : ''}: ${cause}`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
