import { Injectable } from '@nestjs/common';
import {
  artifactHref,
  blobKey,
  manifestKey,
  repositoryHref,
  repositoryVersionHref,
  tagKey,
  type CatalogUnit,
  type UnitKey,
} from '@wharf/contracts';
import { BlobStore, readSmallBlob, RemoteError } from '@wharf/ports';
import { MAX_MANIFEST_BYTES, ManifestInvalidError, parseManifest, type ParsedManifest } from '@wharf/oci';
import { Queries } from '@wharf/runtime';
import { ArtifactsService } from './artifacts.service.js';

/**
 * Payload of the task that turns an artifact into a content unit. The gateway builds it (it keeps its own
 * copy of the shape, as it does for the other services' task payloads).
 */
export interface ArtifactContentTask {
  readonly unitType: 'blob' | 'manifest';
  readonly artifactId: string;
  /** Add the new unit to this repository as a new version. */
  readonly repositoryId?: string;
  /** Only for manifests: tag it in that version under this name. */
  readonly tag?: string;
}

/** Pulp's task name for creating content from an upload. */
export const ARTIFACT_CONTENT_TASK = 'pulpcore.app.tasks.base.general_create';

/** A task that could not turn an artifact into content; the message names the artifact and the cause. */
export class ArtifactContentError extends Error {
  override readonly name = 'ArtifactContentError';
  constructor(artifactId: string, digest: string | undefined, cause: string) {
    super(`artifact ${artifactHref(artifactId)}${digest ? ` (${digest})` : ''}: ${cause}`);
  }
}

/** The gateway's content hrefs (`content/container/<type>s/<digest>/`), which name units by digest. */
function contentHref(unit: CatalogUnit): string {
  return `/pulp/api/v3/content/container/${unit.type}s/${unit.digest}/`;
}

/**
 * Turns an artifact into a blob or manifest unit and, when asked, adds it to a repository as one new version
 * (tagged, for a manifest). Every check that can refuse the request runs before anything is recorded, so a
 * refused request leaves the catalog and the repository as they were.
 */
@Injectable()
export class ArtifactContentService {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly blobs: BlobStore,
    private readonly queries: Queries,
  ) {}

  /** The hrefs the task created: the unit, and the new version when one was made. */
  async create(task: ArtifactContentTask): Promise<string[]> {
    let digest: string | undefined;
    try {
      const artifact = this.artifacts.get(task.artifactId);
      digest = artifact.digest;
      if (task.repositoryId !== undefined) await this.requireRepository(task.repositoryId);
      const unit =
        task.unitType === 'blob'
          ? await this.queries.ask('content.blob.record', { digest: artifact.digest, size: artifact.size })
          : await this.recordManifest(artifact.digest, artifact.size);
      const created = [contentHref(unit)];
      if (task.repositoryId === undefined) return created;
      const units: UnitKey[] = [task.tag === undefined ? unit.key : tagKey(task.tag, unit.digest)];
      const { version, created: changed } = await this.queries.ask('content.version.add', {
        repositoryId: task.repositoryId,
        units,
      });
      if (changed) created.push(repositoryVersionHref(version.repositoryId, version.number));
      return created;
    } catch (error) {
      throw new ArtifactContentError(
        task.artifactId,
        digest,
        error instanceof Error ? error.message : String(error),
      );
    }
  }

  private async requireRepository(id: string): Promise<void> {
    try {
      await this.queries.ask('content.repository.get', { id });
    } catch (error) {
      if (isNotFound(error)) throw new Error(`repository ${repositoryHref(id)} does not exist`);
      throw error;
    }
  }

  private async recordManifest(digest: string, size: number): Promise<CatalogUnit> {
    if (size > MAX_MANIFEST_BYTES) {
      throw new Error(
        `is not a manifest: ${size} bytes is over the ${MAX_MANIFEST_BYTES}-byte manifest limit`,
      );
    }
    const bytes = await readSmallBlob(this.blobs, digest);
    const parsed = parseOrRefuse(bytes);
    await this.requireReferences(parsed);
    return this.queries.ask('content.manifest.record', {
      bytes: bytes.toString('base64'),
      mediaType: parsed.mediaType,
    });
  }

  /**
   * The catalog records a manifest whatever it references (sync records children first, so it never has
   * to), but a manifest created here must be complete: every blob and listed manifest already recorded.
   */
  private async requireReferences(parsed: ParsedManifest): Promise<void> {
    const references = [
      ...parsed.blobDigests.map((digest) => ({ kind: 'blob', key: blobKey(digest), digest })),
      ...parsed.manifestDigests.map((digest) => ({ kind: 'manifest', key: manifestKey(digest), digest })),
    ];
    const missing = await Promise.all(
      references.map(async (reference) => ((await this.isRecorded(reference.key)) ? [] : [reference])),
    );
    const absent = missing.flat();
    if (absent.length > 0) {
      const named = absent.map((reference) => `${reference.kind} ${reference.digest}`).join(', ');
      throw new Error(`references content that does not exist (create it first): ${named}`);
    }
  }

  private async isRecorded(key: UnitKey): Promise<boolean> {
    try {
      await this.queries.ask('content.unit.get', { key });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}

/** Parse failures (bad JSON, unsupported media type, schema violations) say what was expected. */
function parseOrRefuse(bytes: Uint8Array): ParsedManifest {
  try {
    return parseManifest(bytes);
  } catch (error) {
    if (error instanceof ManifestInvalidError) throw new Error(`is not a valid manifest: ${error.message}`);
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof RemoteError && error.remoteName === 'NotFoundError';
}
