import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { BlobStore, type ObjectStore } from '@wharf/ports';
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
import { OciLayoutImporter, type ImportStage, type LayoutFiles } from './oci-layout.importer.js';
import { TransferProgress } from './transfer.progress.js';
import { VersionContentReader, type VersionContent } from './version-content.reader.js';

type Send = (reports: readonly ProgressReport[]) => Promise<void>;

/**
 * Export of a repository version as an OCI image layout under WHARF_EXPORT_ROOT or into WHARF_EXPORT_BUCKET,
 * and import of one as a new version. On the filesystem an export is written under a temporary sibling name
 * and renamed into place when complete, so its path holds a whole export or nothing. In a bucket, where
 * nothing renames, each object appears only when its upload completes, the file a reader starts from
 * (`index.json`, `SHA256SUMS`, the single archive) comes last, and a failed export removes what it wrote.
 * An import adds its content in ONE version change at the end.
 */
@Injectable()
export class OciLayoutService {
  private readonly root: string | undefined;
  private readonly objects: ObjectStore | undefined;

  constructor(
    private readonly queries: Queries,
    private readonly blobs: BlobStore,
    infrastructure: Infrastructure,
  ) {
    this.root = infrastructure.settings.exportRoot;
    this.objects = infrastructure.exportObjectStore();
  }

  async validateExport(payload: ExportTaskPayload): Promise<ExportTaskPayload> {
    if (payload.storage === 's3') {
      const { objects, key } = this.bucketKey(payload.path);
      if ((await keysAt(objects, key)).length > 0) {
        throw new ValidationError({ path: ['Something already exists at this key in the export bucket.'] });
      }
    } else {
      const path = await pathUnderExportRoot(this.root, payload.path);
      if (await exists(path)) throw new ValidationError({ path: ['Something already exists at this path.'] });
    }
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
    if (payload.storage === 's3') {
      const { objects, key } = this.bucketKey(payload.path);
      if ((await keysAt(objects, key)).length === 0) {
        throw new ValidationError({ path: ['Nothing exists at this key in the export bucket.'] });
      }
      return payload;
    }
    const path = await pathUnderExportRoot(this.root, payload.path);
    if (!(await exists(path))) throw new ValidationError({ path: ['Nothing exists at this path.'] });
    return payload;
  }

  async export(payload: ExportTaskPayload, send: Send): Promise<TaskOutcome> {
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
    try {
      if (payload.storage === 's3') await this.exportToBucket(exporter, content, payload);
      else await this.exportToFilesystem(exporter, content, payload);
    } catch (error) {
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

  private async exportToFilesystem(
    exporter: OciLayoutExporter,
    content: VersionContent,
    payload: ExportTaskPayload,
  ): Promise<void> {
    const path = await pathUnderExportRoot(this.root, payload.path);
    await mkdir(dirname(path), { recursive: true });
    const partial = join(dirname(path), `.${basename(path)}.partial-${randomUUID()}`);
    // 1 MiB, not Node's 16 KiB: chunks gather while a write is under way and go to disk in one writev.
    const options = { flags: 'wx', highWaterMark: 1 << 20 };
    const file = (name: string) => createWriteStream(join(partial, name), options);
    try {
      if (payload.format === 'directory') {
        await exporter.toFiles(content, async (name) => {
          await mkdir(dirname(join(partial, name)), { recursive: true });
          return file(name);
        });
      } else if (payload.chunkSize !== undefined) {
        await mkdir(partial);
        await exporter.toArchive(content, new ChunkedFileWriter(file, payload.chunkSize));
      } else {
        await exporter.toArchive(content, createWriteStream(partial, options));
      }
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    }
  }

  private async exportToBucket(
    exporter: OciLayoutExporter,
    content: VersionContent,
    payload: ExportTaskPayload,
  ): Promise<void> {
    const { objects, key } = this.bucketKey(payload.path);
    const object = (name: string) => objects.write(`${key}/${name}`);
    try {
      if (payload.format === 'directory') {
        await exporter.toFiles(content, async (name) => object(name));
      } else if (payload.chunkSize !== undefined) {
        await exporter.toArchive(content, new ChunkedFileWriter(object, payload.chunkSize));
      } else {
        await exporter.toArchive(content, objects.write(key));
      }
    } catch (error) {
      // The bucket must not keep half an export; a failing removal matters less than the export's cause.
      await keysAt(objects, key)
        .then((keys) => objects.removeAll(keys))
        .catch(() => undefined);
      throw error;
    }
  }

  async import(payload: ImportTaskPayload, send: Send): Promise<TaskOutcome> {
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
        payload.storage === 's3'
          ? await this.importFromBucket(importer, payload)
          : await this.importFromFilesystem(importer, payload);
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

  private async importFromFilesystem(importer: OciLayoutImporter, payload: ImportTaskPayload) {
    const path = await pathUnderExportRoot(this.root, payload.path);
    const files: LayoutFiles = {
      where: payload.path,
      read: async (name) =>
        (await exists(join(path, name))) ? createReadStream(join(path, name)) : undefined,
      names: async (prefix) => (await readdir(path)).filter((name) => name.startsWith(prefix)),
    };
    if (payload.format === 'directory') return importer.fromDirectory(files);
    if ((await stat(path)).isDirectory()) return importer.fromChunks(files);
    return importer.fromArchive(() => createReadStream(path), payload.path);
  }

  private async importFromBucket(importer: OciLayoutImporter, payload: ImportTaskPayload) {
    const { objects, key } = this.bucketKey(payload.path);
    const files: LayoutFiles = {
      where: `${objects.location}${key}`,
      read: (name) => objects.read(`${key}/${name}`),
      names: async (prefix) =>
        (await keysAt(objects, key))
          .map((found) => found.slice(key.length + 1))
          .filter((name) => name.startsWith(prefix) && !name.includes('/')),
    };
    if (payload.format === 'directory') return importer.fromDirectory(files);
    const archive = await objects.read(key);
    if (!archive) return importer.fromChunks(files);
    return importer.fromArchive(() => archive, files.where);
  }

  /** The export bucket and a key in it: `/`-separated names, none empty, `.` or `..`. */
  private bucketKey(path: string): { objects: ObjectStore; key: string } {
    if (!this.objects) {
      throw new ValidationError({
        storage: ['Exports to S3 are disabled: WHARF_EXPORT_BUCKET is not set.'],
      });
    }
    const key = path.replace(/\/+$/, '');
    if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
      throw new ValidationError({
        path: ['In the export bucket, a path is a key of "/"-separated names, without "..", "." or "//".'],
      });
    }
    return { objects: this.objects, key };
  }
}

/** The keys an export at `key` consists of: the object itself, or the objects under `key/`. */
async function keysAt(objects: ObjectStore, key: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const found of objects.list(key)) {
    if (found.key === key || found.key.startsWith(`${key}/`)) keys.push(found.key);
  }
  return keys;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
