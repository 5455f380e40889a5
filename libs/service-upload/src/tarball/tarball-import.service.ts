import type { Readable } from 'node:stream';
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
import { MAX_MANIFEST_BYTES } from '@wharf/oci';
import { Queries } from '@wharf/runtime';
import { ArtifactsService } from '../artifacts.service.js';
import { planDockerArchive } from './docker-archive.reader.js';
import type { ImportPlan, ReadSmallEntry } from './import-plan.model.js';
import { planOciArchive } from './oci-archive.reader.js';
import { readTarballEntries, type TarballEntries } from './tarball-entries.reader.js';
import { TarballInvalidError } from './tarball.errors.js';

/** Payload of the import task; the gateway keeps its own copy of the shape, as for the other tasks. */
export interface ImportTarballTask {
  readonly repositoryId: string;
  readonly artifactId: string;
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
    private readonly blobs: BlobStore,
    private readonly queries: Queries,
  ) {}

  /** The hrefs the task created: the new version (none when the archive added nothing new). */
  async import(task: ImportTarballTask): Promise<string[]> {
    const artifact = this.artifacts.get(task.artifactId);
    try {
      await this.requireRepository(task.repositoryId);
      const plan = await this.plan(await this.blobs.get(artifact.digest), artifact.size);
      await this.record(plan);
      const { version, created } = await this.queries.ask('content.version.add', {
        repositoryId: task.repositoryId,
        units: unitsOf(plan),
      });
      return created ? [repositoryVersionHref(version.repositoryId, version.number)] : [];
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      throw new Error(`tarball ${artifactHref(artifact.id)} (${artifact.digest}): ${cause}`);
    }
  }

  /** Reads and checks the whole archive; stores its files' bytes but records nothing. */
  async plan(source: Readable, size: number): Promise<ImportPlan> {
    const entries = await readTarballEntries(source, this.blobs, { maxEntryBytes: size });
    const readSmall = this.smallEntryReader(entries);
    let plan: ImportPlan;
    if (entries.metadata.has('manifest.json')) plan = await planDockerArchive(entries, readSmall);
    else if (entries.metadata.has('index.json')) plan = await planOciArchive(entries, readSmall);
    else {
      throw new TarballInvalidError(
        '',
        'the archive has neither manifest.json (docker-archive) nor index.json (oci-archive)',
      );
    }
    if (plan.manifests.length === 0) throw new TarballInvalidError('', 'the archive holds no image');
    return plan;
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

  private smallEntryReader(entries: TarballEntries): ReadSmallEntry {
    return async (name) => {
      const file = entries.files.get(name);
      if (!file) throw new TarballInvalidError(name, 'the archive does not hold it');
      if (file.size > MAX_MANIFEST_BYTES) {
        throw new TarballInvalidError(
          name,
          `${file.size} bytes is over the ${MAX_MANIFEST_BYTES}-byte limit`,
        );
      }
      const chunks: Buffer[] = [];
      for await (const chunk of await this.blobs.get(file.digest)) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
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
