import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream, readFileSync } from 'node:fs';
import {
  assertRangeSatisfiable,
  sha256Digest,
  sha256Hex,
  assertPartNumber,
  isUploadId,
  newUploadId,
} from '@wharf/ports/adapter-kit';
import {
  access,
  mkdir,
  open,
  opendir,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import {
  BlobNotFoundError,
  BlobStore,
  DigestMismatchError,
  UploadNotFoundError,
  type BlobInfo,
  type ByteRange,
  type UploadPart,
  type UploadStatus,
} from '@wharf/ports';
import { FsBlobLayout } from './fs-blob.layout.js';
import { ChunkPool, PooledFileStream } from './pooled-file.stream.js';
import { writePartFile, writeStagingFile } from './staging-file.writer.js';

export interface FsBlobStoreOptions {
  /** Directory that holds everything (created when missing); see FsBlobLayout for what goes where. */
  readonly root: string;
}

interface UploadInfo {
  readonly createdAt: string;
  /** The machine's boot id when the session began (absent in sessions of older versions, or off Linux). */
  readonly bootId?: string;
}

/**
 * The sha256 state after parts 1..n of a session, kept while they arrive in order (as registry clients send
 * them), with each part file's inode, size and modification time so that a part replaced by anyone since is
 * noticed.
 */
interface RunningHash {
  readonly hash: Hash;
  readonly parts: readonly HashedPart[];
}

interface HashedPart {
  readonly partNumber: number;
  readonly size: number;
  readonly ino: number;
  readonly mtimeMs: number;
}

/**
 * BlobStore on a local filesystem, for the all-in-one mode. Every write lands in staging/ first and is
 * renamed into place only when complete and verified, so readers never see partial or unverified bytes.
 */
export class FsBlobStore extends BlobStore {
  /** Files have no part-size floor; any chunk the caller has can become a part. */
  readonly minPartSize = 1;
  private readonly layout: FsBlobLayout;
  /**
   * By upload id. Only a shortcut: completion checks that it covers exactly the parts on disk and otherwise
   * reads and hashes them all, which is also what happens after a restart.
   */
  private readonly runningHashes = new Map<string, RunningHash>();
  /** Read buffers for `get` streams, handed back through `recycle`: 16 idle MiB at most. */
  private readonly chunks = new ChunkPool(16);

  constructor(options: FsBlobStoreOptions) {
    super();
    this.layout = new FsBlobLayout(options.root);
  }

  async put(body: Readable | AsyncIterable<Uint8Array>, expectedDigest?: string): Promise<BlobInfo> {
    const staging = await this.stage(body);
    return this.publish(staging.path, staging.info, expectedDigest);
  }

  async get(digest: string, range?: ByteRange): Promise<Readable> {
    const path = this.blobPathOf(digest);
    // Opening first turns a missing file into BlobNotFoundError here rather than an error event later,
    // and keeps serving the bytes even if the blob is deleted while the stream is read.
    const file = await open(path, 'r').catch((error: unknown) => {
      throw isMissing(error) ? new BlobNotFoundError(digest) : error;
    });
    try {
      if (range) assertRangeSatisfiable(range, (await file.stat()).size);
      return new PooledFileStream(file, this.chunks, range?.start, range?.end);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  override recycle(chunk: Uint8Array): void {
    this.chunks.giveBack(chunk);
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    const hex = sha256Hex(digest);
    if (!hex) return undefined;
    const stats = await stat(this.layout.blobPath(hex)).catch(ignoreMissing);
    return stats && { digest, size: stats.size };
  }

  async delete(digest: string): Promise<void> {
    const hex = sha256Hex(digest);
    if (hex) await rm(this.layout.blobPath(hex), { force: true });
  }

  /** Files cannot be fetched by URL; callers stream them through `get`. */
  async presignedGetUrl(_digest: string, _expirySeconds: number): Promise<string | undefined> {
    return undefined;
  }

  async createUpload(): Promise<UploadStatus> {
    const uploadId = newUploadId();
    const createdAt = new Date();
    // The session is assembled in staging/ and renamed into uploads/ so that it appears whole or not at all.
    const draft = this.layout.newStagingPath();
    const files = FsBlobLayout.sessionFiles(draft);
    await mkdir(files.parts, { recursive: true });
    const info: UploadInfo = { createdAt: createdAt.toISOString(), ...(BOOT_ID && { bootId: BOOT_ID }) };
    await writeFile(files.info, JSON.stringify(info), { flush: true });
    await mkdir(this.layout.uploadsDir, { recursive: true });
    await rename(draft, this.layout.uploadDir(uploadId));
    return { uploadId, parts: [], size: 0, createdAt };
  }

  async putUploadPart(
    uploadId: string,
    partNumber: number,
    body: Readable | AsyncIterable<Uint8Array>,
  ): Promise<UploadPart> {
    assertPartNumber(uploadId, partNumber);
    await this.readUploadInfo(uploadId);
    const before = this.runningHashes.get(uploadId);
    const continues = partNumber === (before?.parts.length ?? 0) + 1;
    const hash = continues ? (before?.hash.copy() ?? createHash('sha256')) : undefined;
    await mkdir(this.layout.stagingDir, { recursive: true });
    const staging = this.layout.newStagingPath();
    let size: number;
    let file: { ino: number; mtimeMs: number };
    try {
      // A part that extends the running hash is not flushed on its own: while this process lives, completion
      // joins it through that hash and flushes the joined file once. A crash loses the hash, and completion
      // then reads the parts back; see completeUpload for why that cannot publish damaged bytes.
      size = await writePartFile(staging, body, hash, { flush: !hash || BOOT_ID === undefined });
      const { ino, mtimeMs } = await stat(staging);
      file = { ino, mtimeMs };
      // rename replaces an earlier part with the same number in one step.
      await rename(staging, this.layout.partPath(uploadId, partNumber));
    } catch (error) {
      await rm(staging, { force: true });
      throw isMissing(error) ? new UploadNotFoundError(uploadId) : error;
    }
    const now = this.runningHashes.get(uploadId);
    if (hash && now === before) {
      this.runningHashes.set(uploadId, {
        hash,
        parts: [...(before?.parts ?? []), { partNumber, size, ...file }],
      });
    } else if (now && partNumber <= now.parts.length) {
      this.runningHashes.delete(uploadId); // a part it covers has been replaced
    }
    return { partNumber, size };
  }

  async uploadStatus(uploadId: string): Promise<UploadStatus> {
    const info = await this.readUploadInfo(uploadId);
    const parts: UploadPart[] = [];
    for (const fileName of await readdir(this.layout.partsDir(uploadId))) {
      const partNumber = FsBlobLayout.partNumberOf(fileName);
      if (partNumber === undefined) continue;
      const stats = await stat(this.layout.partPath(uploadId, partNumber)).catch(ignoreMissing);
      if (stats) parts.push({ partNumber, size: stats.size });
    }
    parts.sort((a, b) => a.partNumber - b.partNumber);
    const size = parts.reduce((sum, part) => sum + part.size, 0);
    return { uploadId, parts, size, createdAt: new Date(info.createdAt) };
  }

  async completeUpload(uploadId: string, expectedDigest?: string): Promise<BlobInfo> {
    const { parts } = await this.uploadStatus(uploadId);
    const hashed = await this.claimRunningHash(uploadId, parts);
    if (hashed) return this.completeHashed(uploadId, parts, hashed, expectedDigest);
    // Parts that extended a running hash were not flushed, so a machine that restarted since the session
    // began may have lost some of their bytes. An expected digest catches that; without one, the bytes
    // would be published under whatever digest they now have, so the session is refused instead.
    const { bootId } = await this.readUploadInfo(uploadId);
    if (expectedDigest === undefined && bootId !== undefined && bootId !== BOOT_ID) {
      await this.abortUpload(uploadId);
      throw new Error(
        `upload ${uploadId} began before the machine restarted, and parts written then may be incomplete; ` +
          'start the upload again',
      );
    }
    const staging = await this.stage(this.joinParts(uploadId, parts));
    try {
      const info = await this.publish(staging.path, staging.info, expectedDigest);
      await this.abortUpload(uploadId);
      return info;
    } catch (error) {
      // Bytes that do not match end the session; any other failure leaves it for the caller to retry.
      if (error instanceof DigestMismatchError) await this.abortUpload(uploadId);
      throw error;
    }
  }

  async abortUpload(uploadId: string): Promise<void> {
    if (!isUploadId(uploadId)) return;
    this.runningHashes.delete(uploadId);
    // Renaming into staging/ makes the session vanish at once; removing the files can then take its time.
    const doomed = this.layout.newStagingPath();
    await mkdir(this.layout.stagingDir, { recursive: true });
    try {
      await rename(this.layout.uploadDir(uploadId), doomed);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  async listUploads(before: Date): Promise<UploadStatus[]> {
    const uploadIds = await readdir(this.layout.uploadsDir).catch(ignoreMissing);
    const started: UploadStatus[] = [];
    for (const uploadId of uploadIds ?? []) {
      const status = await this.uploadStatus(uploadId).catch((error: unknown) => {
        if (error instanceof UploadNotFoundError) return undefined; // completed or aborted meanwhile
        throw error;
      });
      if (status && status.createdAt < before) started.push(status);
    }
    return started;
  }

  async *list(): AsyncIterable<BlobInfo> {
    const fanOuts = await opendir(this.layout.blobsDir).catch(ignoreMissing);
    if (!fanOuts) return;
    for await (const fanOut of fanOuts) {
      if (!fanOut.isDirectory()) continue;
      const blobs = await opendir(this.layout.fanOutDir(fanOut.name)).catch(ignoreMissing);
      if (!blobs) continue;
      for await (const blob of blobs) {
        const digest = sha256Digest(blob.name);
        if (sha256Hex(digest) !== blob.name || !blob.name.startsWith(fanOut.name)) continue;
        const stats = await stat(this.layout.blobPath(blob.name)).catch(ignoreMissing);
        if (stats) yield { digest, size: stats.size };
      }
    }
  }

  async ping(): Promise<void> {
    await mkdir(this.layout.root, { recursive: true });
    await access(this.layout.root, constants.R_OK | constants.W_OK);
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  /** Writes a body to a fresh staging file; on failure nothing is left behind. */
  private async stage(body: AsyncIterable<unknown>): Promise<{ path: string; info: BlobInfo }> {
    await mkdir(this.layout.stagingDir, { recursive: true });
    const path = this.layout.newStagingPath();
    try {
      return { path, info: await writeStagingFile(path, body) };
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
  }

  /** Moves a verified staging file under its digest, or removes it when it does not match. */
  private async publish(stagingPath: string, info: BlobInfo, expectedDigest?: string): Promise<BlobInfo> {
    try {
      if (expectedDigest !== undefined && info.digest !== expectedDigest) {
        throw new DigestMismatchError(expectedDigest, info.digest);
      }
      const target = this.blobPathOf(info.digest);
      await mkdir(dirname(target), { recursive: true });
      // Replacing an existing copy is harmless: same digest, same bytes, and open readers keep theirs.
      await rename(stagingPath, target);
      await fsyncDirectory(dirname(target));
      return info;
    } catch (error) {
      await rm(stagingPath, { force: true });
      throw error;
    }
  }

  /**
   * The session's running hash when it covers exactly `parts` as they are on disk; taken out of the map, so
   * that a concurrent completion of the same session joins from scratch instead of appending alongside.
   */
  private async claimRunningHash(uploadId: string, parts: readonly UploadPart[]): Promise<Hash | undefined> {
    const running = this.runningHashes.get(uploadId);
    if (!running || parts.length === 0 || running.parts.length !== parts.length) return undefined;
    this.runningHashes.delete(uploadId);
    for (const [i, part] of running.parts.entries()) {
      const onDisk = await stat(this.layout.partPath(uploadId, part.partNumber)).catch(ignoreMissing);
      if (
        parts[i]?.partNumber !== part.partNumber ||
        onDisk?.ino !== part.ino ||
        onDisk.size !== part.size ||
        onDisk.mtimeMs !== part.mtimeMs
      ) {
        return undefined;
      }
    }
    return running.hash;
  }

  /**
   * Completion when the parts were hashed as they arrived: the digest is known before any byte moves, and
   * the blob is made by appending parts 2..n to part 1 (taken out of the session first), so part 1 is not
   * copied and nothing is hashed again. The file is flushed once, then published like any other. Should the
   * publishing rename fail, part 1 is gone with it and a retry ends in DigestMismatchError: nothing unverified
   * becomes visible either way.
   */
  private async completeHashed(
    uploadId: string,
    parts: readonly UploadPart[],
    hash: Hash,
    expectedDigest: string | undefined,
  ): Promise<BlobInfo> {
    const info: BlobInfo = {
      digest: sha256Digest(hash.digest('hex')),
      size: parts.reduce((sum, part) => sum + part.size, 0),
    };
    if (expectedDigest !== undefined && info.digest !== expectedDigest) {
      await this.abortUpload(uploadId);
      throw new DigestMismatchError(expectedDigest, info.digest);
    }
    const [first, ...rest] = parts as [UploadPart, ...UploadPart[]];
    const firstPath = this.layout.partPath(uploadId, first.partNumber);
    await mkdir(this.layout.stagingDir, { recursive: true });
    const joined = this.layout.newStagingPath();
    await rename(firstPath, joined).catch((error: unknown) => {
      throw isMissing(error) ? new UploadNotFoundError(uploadId) : error;
    });
    try {
      await appendFiles(
        joined,
        rest.map((part) => this.layout.partPath(uploadId, part.partNumber)),
      );
    } catch (error) {
      // Puts part 1 back as it was, so the caller can retry the completion.
      await truncate(joined, first.size);
      await rename(joined, firstPath);
      throw error;
    }
    const published = await this.publish(joined, info);
    await this.abortUpload(uploadId);
    return published;
  }

  private async *joinParts(uploadId: string, parts: readonly UploadPart[]): AsyncGenerator<unknown> {
    for (const part of parts) {
      yield* createReadStream(this.layout.partPath(uploadId, part.partNumber));
    }
  }

  private blobPathOf(digest: string): string {
    const hex = sha256Hex(digest);
    if (!hex) throw new BlobNotFoundError(digest);
    return this.layout.blobPath(hex);
  }

  private async readUploadInfo(uploadId: string): Promise<UploadInfo> {
    if (!isUploadId(uploadId)) throw new UploadNotFoundError(uploadId);
    try {
      return JSON.parse(await readFile(this.layout.uploadInfoPath(uploadId), 'utf8')) as UploadInfo;
    } catch (error) {
      throw isMissing(error) ? new UploadNotFoundError(uploadId) : error;
    }
  }
}

/** This boot of the machine (Linux); undefined elsewhere, and then every part is flushed as it is written. */
const BOOT_ID = readBootId();

function readBootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Appends the files' bytes to `target` in order and flushes it to disk. */
async function appendFiles(target: string, sources: readonly string[]): Promise<void> {
  const file = await open(target, 'a');
  try {
    for (const source of sources) {
      for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 })) {
        await file.write(chunk as Buffer);
      }
    }
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Makes a rename into the directory durable, not just the renamed file's contents. */
async function fsyncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function ignoreMissing(error: unknown): undefined {
  if (isMissing(error)) return undefined;
  throw error;
}
