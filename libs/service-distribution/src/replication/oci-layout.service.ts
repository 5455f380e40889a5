import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { Infrastructure, Queries, type TaskOutcome } from '@wharf/runtime';
import {
  repositoryVersionHref,
  ValidationError,
  type ExportTaskPayload,
  type ImportTaskPayload,
  type ProgressReport,
} from '@wharf/contracts';
import { ChunkedFileWriter } from './chunked-file.writer.js';
import { pathUnderExportRoot } from './export-root.js';
import { OciLayoutExporter, type ExportStage } from './oci-layout.exporter.js';
import { OciLayoutImporter, type ImportStage } from './oci-layout.importer.js';
import { TransferProgress } from './transfer.progress.js';
import { VersionContentReader } from './version-content.reader.js';

type Send = (reports: readonly ProgressReport[]) => Promise<void>;

/**
 * Export of a repository version as an OCI image layout under WHARF_EXPORT_ROOT, and import of one as a new
 * version. An export is written under a temporary sibling name and renamed into place when complete, so its
 * path holds a whole export or nothing; an import adds its content in ONE version change at the end.
 */
@Injectable()
export class OciLayoutService {
  private readonly root: string | undefined;

  constructor(
    private readonly queries: Queries,
    private readonly blobs: BlobStore,
    infrastructure: Infrastructure,
  ) {
    this.root = infrastructure.settings.exportRoot;
  }

  async validateExport(payload: ExportTaskPayload): Promise<ExportTaskPayload> {
    const path = await pathUnderExportRoot(this.root, payload.path);
    if (await exists(path)) throw new ValidationError({ path: ['Something already exists at this path.'] });
    if (payload.chunkSize !== undefined && payload.format !== 'oci-archive') {
      throw new ValidationError({ chunk_size: ['Only an oci-archive export can be chunked.'] });
    }
    await this.queries.ask('content.version.get', {
      repositoryId: payload.repositoryId,
      version: payload.version,
    });
    return payload;
  }

  async validateImport(payload: ImportTaskPayload): Promise<ImportTaskPayload> {
    const path = await pathUnderExportRoot(this.root, payload.path);
    if (!(await exists(path))) throw new ValidationError({ path: ['Nothing exists at this path.'] });
    return payload;
  }

  async export(payload: ExportTaskPayload, send: Send): Promise<TaskOutcome> {
    const path = await pathUnderExportRoot(this.root, payload.path);
    const reader = new VersionContentReader(this.queries, this.blobs);
    const version = { repositoryId: payload.repositoryId, version: payload.version };
    const content = await reader.read(version);
    const progress = new TransferProgress<ExportStage>(
      {
        manifests: { message: 'Exporting manifests', code: 'export.writing.manifests' },
        blobs: { message: 'Exporting blobs', code: 'export.writing.blobs' },
        bytes: { message: 'Exporting bytes', code: 'export.writing.bytes' },
      },
      send,
    );
    progress.start('manifests', content.manifests.size);
    progress.start('blobs', content.blobs.size);
    progress.start(
      'bytes',
      [...content.blobs.values()].reduce((sum, size) => sum + size, 0),
    );
    await progress.report(true);
    const exporter = new OciLayoutExporter(reader, progress);
    await mkdir(dirname(path), { recursive: true });
    const partial = join(dirname(path), `.${basename(path)}.partial-${randomUUID()}`);
    try {
      if (payload.format === 'directory') {
        await exporter.toDirectory(content, partial);
      } else if (payload.chunkSize !== undefined) {
        await mkdir(partial);
        await exporter.toArchive(content, new ChunkedFileWriter(partial, payload.chunkSize));
      } else {
        await exporter.toArchive(content, createWriteStream(partial, { flags: 'wx' }));
      }
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `exporting version ${payload.version} of repository ${payload.repositoryId} to ${payload.path} failed: ${reason}`,
        {
          cause: error,
        },
      );
    }
    progress.complete('manifests', 'blobs', 'bytes');
    await progress.report(true);
    return {
      result: {
        path: payload.path,
        format: payload.format,
        tags: content.tags.length,
        manifests: content.manifests.size,
        blobs: content.blobs.size,
      },
    };
  }

  async import(payload: ImportTaskPayload, send: Send): Promise<TaskOutcome> {
    const path = await pathUnderExportRoot(this.root, payload.path);
    const progress = new TransferProgress<ImportStage>(
      {
        verifying: { message: 'Verifying chunks', code: 'import.verifying.chunks' },
        blobs: { message: 'Importing blobs', code: 'import.importing.blobs' },
        manifests: { message: 'Importing manifests', code: 'import.importing.manifests' },
      },
      send,
    );
    progress.start('blobs');
    const importer = new OciLayoutImporter(this.blobs, this.queries, progress);
    let imported;
    try {
      imported =
        payload.format === 'directory'
          ? await importer.fromDirectory(path)
          : await importer.fromArchive(path);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`importing ${payload.path} into repository ${payload.repositoryId} failed: ${reason}`, {
        cause: error,
      });
    }
    const { version, created } = await this.queries.ask('content.version.modify', {
      repositoryId: payload.repositoryId,
      add: imported.add,
    });
    return {
      createdResources: created ? [repositoryVersionHref(payload.repositoryId, version.number)] : [],
      result: { tags: imported.tags, manifests: imported.manifests, blobs: imported.blobs },
    };
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
