import { Injectable } from '@nestjs/common';
import {
  artifactHref,
  manifestKey,
  repositoryHref,
  repositoryVersionHref,
  tagKey,
  type UnitKey,
} from '@wharf/contracts';
import { BlobStore, RemoteError } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { ArtifactsService } from '../artifacts.service.js';
import { UploadsService } from '../uploads.service.js';
import type { ImportPlan } from './import-plan.model.js';
import { planTarball } from './tarball.planner.js';

/** Payload of the import task; the gateway keeps its own copy of the shape, as for the other tasks. */
export interface ImportTarballTask {
  readonly repositoryId: string;
  /** The archive's artifact; with `uploadId`, the id the artifact committed from the upload gets. */
  readonly artifactId: string;
  /** A complete, uncommitted upload holding the archive: the task commits it first. */
  readonly uploadId?: string;
}

/** Pulp's name for the task (pulp_container's own tarball import is a different format; the name is ours). */
export const IMPORT_TARBALL_TASK = 'wharf.tasks.import_tarball';

/**
 * Reads an archive (from an artifact) into a plan of blobs, manifests and tags, then records them and adds
 * them to a repository as one new version. The archive is read once, as a stream; everything is checked
 * before the first unit is recorded, so a refused archive records nothing and makes no version.
 */
@Injectable()
export class TarballImportService {
  constructor(
    private readonly artifacts: ArtifactsService,
    private readonly uploads: UploadsService,
    private readonly blobs: BlobStore,
    private readonly queries: Queries,
  ) {}

  /**
   * The hrefs the task created: the artifact committed from an upload, and the new version (none when the
   * archive added nothing new).
   */
  async import(task: ImportTarballTask): Promise<string[]> {
    const artifact =
      task.uploadId === undefined
        ? this.artifacts.get(task.artifactId)
        : await this.uploads.commitAsUploaded(task.uploadId, task.artifactId, new Date());
    try {
      await this.requireRepository(task.repositoryId);
      const plan = await planTarball(await this.blobs.get(artifact.digest), artifact.size, this.blobs);
      await this.record(plan);
      const { version, created } = await this.queries.ask('content.version.add', {
        repositoryId: task.repositoryId,
        units: unitsOf(plan),
      });
      return [
        ...(task.uploadId === undefined ? [] : [artifactHref(artifact.id)]),
        ...(created ? [repositoryVersionHref(version.repositoryId, version.number)] : []),
      ];
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      throw new Error(`tarball ${artifactHref(artifact.id)} (${artifact.digest}): ${cause}`);
    }
  }

  /** Blobs first, then manifests children first: the catalog then never holds a manifest missing a part. */
  private async record(plan: ImportPlan): Promise<void> {
    for (const [digest, size] of plan.blobs) await this.queries.ask('content.blob.record', { digest, size });
    for (const manifest of plan.manifests) {
      await this.queries.ask('content.manifest.record', {
        bytes: manifest.bytes.toString('base64'),
        mediaType: manifest.mediaType,
      });
    }
  }

  private async requireRepository(id: string): Promise<void> {
    try {
      await this.queries.ask('content.repository.get', { id });
    } catch (error) {
      if (error instanceof RemoteError && error.remoteName === 'NotFoundError') {
        throw new Error(`repository ${repositoryHref(id)} does not exist`);
      }
      throw error;
    }
  }
}

function unitsOf(plan: ImportPlan): UnitKey[] {
  return [
    ...[...plan.tags].map(([tag, digest]) => tagKey(tag, digest)),
    ...[...plan.untagged].map((digest) => manifestKey(digest)),
  ];
}
