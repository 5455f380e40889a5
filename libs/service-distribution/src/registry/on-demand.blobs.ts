import { PassThrough, Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { BlobNotFoundError, BlobStore, type ByteRange } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import type { CatalogUnit, OnDemandSource } from '@wharf/contracts';
import { remoteRegistryClient, type RegistryClient, type VerifiedBlobStream } from '@wharf/registry-client';
import { teeHoldingBack } from './held-back.tee.js';
import { RegistryError } from './registry.errors.js';

/**
 * The bytes of blobs a sync with policy on_demand recorded without them (ADR 0012). The first pull streams
 * the blob from the remote's registry to the client and into the blob store at once; from then on the blob
 * store has it and this class is no longer involved.
 *
 *   upstream ──verified──┬──▶ blob store put (stage → verify → move)
 *                        └──▶ client, one chunk behind, so a wrong digest cuts the response short
 *
 * One download per blob per process: a second pull of a blob being fetched waits for the blob store to hold
 * it and is then served from there. Two processes may both download a blob; the blob store's put makes
 * either copy land whole or not at all. The remote's credentials come from the sync service
 * (`remote.credentials`), live only in the client built for one fetch, and never reach a response or a log.
 *
 * When the remote that recorded the blob has policy streamed (read at each pull, as Pulp's content app does),
 * every pull streams the blob from upstream to that client alone, verified the same way, and nothing is kept.
 */
@Injectable()
export class OnDemandBlobs {
  private readonly logger = new Logger('Registry');
  private readonly fetches = new Map<string, Promise<void>>();

  constructor(
    private readonly queries: Queries,
    private readonly blobs: BlobStore,
  ) {}

  /** Whether the unit's bytes have to come from upstream because the blob store does not hold them yet. */
  async isRemote(unit: CatalogUnit): Promise<boolean> {
    return unit.onDemand !== undefined && (await this.blobs.stat(unit.digest)) === undefined;
  }

  /**
   * A stream of the blob for a client. A whole blob nobody is fetching yet is streamed through from the
   * upstream; a range, or a blob already being fetched, is served from the blob store once it is there.
   */
  async open(unit: CatalogUnit, source: FetchSources, range?: ByteRange): Promise<Readable> {
    if (await this.isStreamed(source.recorded)) return this.streamThrough(unit, source, range);
    // A download that finished since the caller looked left the bytes in the store.
    if (!this.fetches.has(unit.digest) && (await this.blobs.stat(unit.digest))) {
      return this.stored(unit.digest, range);
    }
    // From here to registering a download nothing awaits, so two pulls cannot both start one.
    const pending = this.fetches.get(unit.digest);
    if (pending || range) {
      await (pending ?? this.start(unit, source));
      return this.stored(unit.digest, range);
    }
    const client = new PassThrough();
    await this.start(unit, source, client);
    return client;
  }

  private async isStreamed(source: OnDemandSource): Promise<boolean> {
    try {
      return (await this.queries.ask('remote.get', { id: source.remoteId })).policy === 'streamed';
    } catch {
      // A remote that cannot be read is handled (with its fallback) where the download starts.
      return false;
    }
  }

  /**
   * Policy streamed: the blob (or the range asked for, cut from the whole download, which is read to its end
   * so that its digest is checked) goes to this client only, the last chunk held back until verified.
   */
  private async streamThrough(unit: CatalogUnit, source: FetchSources, range?: ByteRange): Promise<Readable> {
    const upstream = await this.openUpstream(unit, source);
    const client = new PassThrough();
    const body = range ? Readable.from(bytesWithin(upstream.download, range)) : upstream.download;
    teeHoldingBack(body, undefined, client);
    client.once('close', () => void upstream.registry.close());
    return client;
  }

  private async stored(digest: string, range: ByteRange | undefined): Promise<Readable> {
    try {
      return await this.blobs.get(digest, range);
    } catch (error) {
      if (error instanceof BlobNotFoundError)
        throw upstreamFailure(digest, 'fetching it from upstream failed');
      throw error;
    }
  }

  /**
   * Starts the download (registered so concurrent pulls share it) and resolves: when `client` is given, as
   * soon as the upstream answered, else when the blob store holds the blob.
   */
  private start(unit: CatalogUnit, source: FetchSources, client?: PassThrough): Promise<void> {
    let answered!: () => void;
    let refused!: (error: unknown) => void;
    const upstreamAnswered = new Promise<void>((resolve, reject) => {
      answered = resolve;
      refused = reject;
    });
    const stored = this.download(unit, source, client, answered).finally(() =>
      this.fetches.delete(unit.digest),
    );
    stored.catch(refused);
    // Waiters only need to know when to look in the blob store; the error reaches the first puller.
    this.fetches.set(
      unit.digest,
      stored.catch(() => undefined),
    );
    return client ? upstreamAnswered : stored;
  }

  private async download(
    unit: CatalogUnit,
    where: FetchSources,
    client: PassThrough | undefined,
    answered: () => void,
  ): Promise<void> {
    const { digest } = unit;
    const upstream = await this.openUpstream(unit, where);
    try {
      // The store sees download errors through its own stream; this keeps a failure with no reader quiet.
      upstream.download.on('error', () => undefined);
      const toStore = new PassThrough();
      teeHoldingBack(upstream.download, toStore, client);
      answered();
      const { size } = await this.blobs.put(toStore, digest);
      this.logger.log(`fetched on_demand blob ${digest} (${size} bytes) from ${upstream.description}`);
    } catch (error) {
      this.logger.warn(`on_demand blob ${digest} from ${upstream.description} not stored: ${reason(error)}`);
      throw error;
    } finally {
      await upstream.registry.close();
    }
  }

  /**
   * The download from the first source that delivers: the remote the sync recorded, then, when that one
   * fails (deleted, or its upstream lost the blob), the remote of the repository being served, which is
   * where the served version was most likely synced from. The catalog keeps one source per blob however
   * many remotes brought it, so the second chance keeps a deleted first remote from stranding the others.
   */
  private async openUpstream(unit: CatalogUnit, where: FetchSources): Promise<OpenedUpstream> {
    try {
      return await this.openAt(unit, where.recorded);
    } catch (error) {
      const fallback = await this.repositoryRemote(where);
      if (!fallback) throw error;
      return this.openAt(unit, fallback);
    }
  }

  private async repositoryRemote(where: FetchSources): Promise<OnDemandSource | undefined> {
    try {
      const repository = await this.queries.ask('content.repository.get', { id: where.repositoryId });
      if (repository.remote === null || repository.remote === where.recorded.remoteId) return undefined;
      const remote = await this.queries.ask('remote.get', { id: repository.remote });
      return { remoteId: remote.id, upstreamName: remote.upstreamName };
    } catch {
      return undefined;
    }
  }

  private async openAt(unit: CatalogUnit, source: OnDemandSource): Promise<OpenedUpstream> {
    const { digest } = unit;
    const [remote, credentials] = await Promise.all([
      this.queries.ask('remote.get', { id: source.remoteId }),
      this.queries.ask('remote.credentials', { id: source.remoteId }),
    ]).catch((error: unknown) => {
      throw upstreamFailure(digest, `its remote ${source.remoteId} cannot be read: ${reason(error)}`);
    });
    const registry = remoteRegistryClient(remote, credentials);
    const at = `${remote.url}/${source.upstreamName}`;
    try {
      const download = await registry.getBlob(source.upstreamName, digest).catch((error: unknown) => {
        throw upstreamFailure(digest, `fetching it from ${at} failed: ${reason(error)}`);
      });
      if (download.size !== undefined && unit.size !== undefined && download.size !== unit.size) {
        download.destroy();
        throw upstreamFailure(digest, `${at} answers with ${download.size} bytes, not ${unit.size}`);
      }
      return { download, registry, description: `${at} (remote ${remote.name})` };
    } catch (error) {
      this.logger.warn(reason(error));
      await registry.close();
      throw error;
    }
  }
}

/** Where a blob may be fetched from: the source its unit recorded, and the repository a pull is served from. */
export interface FetchSources {
  readonly recorded: OnDemandSource;
  readonly repositoryId: string;
}

interface OpenedUpstream {
  readonly download: VerifiedBlobStream;
  readonly registry: RegistryClient;
  /** The upstream and remote, for log lines (never with credentials). */
  readonly description: string;
}

/** The bytes of `range` (inclusive) from a whole stream, which is still read to its end. */
async function* bytesWithin(whole: AsyncIterable<Buffer>, range: ByteRange): AsyncGenerator<Buffer> {
  let offset = 0;
  for await (const chunk of whole) {
    const from = Math.max(range.start - offset, 0);
    const to = Math.min(range.end + 1 - offset, chunk.length);
    if (from < to) yield chunk.subarray(from, to);
    offset += chunk.length;
  }
}

function upstreamFailure(digest: string, why: string): RegistryError {
  // 502-like: the blob is known, the upstream that has its bytes did not deliver them.
  return new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not local and ${why}`, { digest }, 502);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
