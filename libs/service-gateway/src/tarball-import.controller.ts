import { randomUUID } from 'node:crypto';
import { Controller, HttpCode, NotFoundException, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { IsOptional, IsString } from 'class-validator';
import {
  ARTIFACTS_HREF_ROOT,
  UPLOADS_HREF_ROOT,
  UPLOAD_WORKER,
  artifactHref,
  uploadHref,
  type UploadView,
} from '@wharf/contracts';
import { RemoteError, type BlobStore } from '@wharf/ports';
import { Infrastructure, Queries } from '@wharf/runtime';
import { API_ROOT, REPOSITORIES_PATH, idFromHref, isUuid, repositoryHref } from './hrefs.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { QUEUED_ACTION_RESPONSES, REPOSITORY_HREF, TAGS } from './repository-actions.controller.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';
import { MeasuredBody, isMultipart, readMultipartFile } from './uploads.controller.js';
import { pulpValidationPipe } from './validation.js';

export class ImportTarballBody {
  @IsOptional() @IsString() artifact?: string;
  @IsOptional() @IsString() upload?: string;
}

/** The upload worker's task and its payload (the upload service owns the shape; the gateway only builds it). */
const IMPORT_TARBALL_TASK = 'wharf.tasks.import_tarball';

interface ImportTarballTaskPayload {
  readonly repositoryId: string;
  readonly artifactId: string;
  readonly uploadId?: string;
}

/** The archive a request names: an artifact, or an upload the task commits into an artifact of this id. */
interface ArchiveSource {
  readonly artifactId: string;
  readonly uploadId?: string;
}

const ARTIFACTS_PATH = ARTIFACTS_HREF_ROOT.slice(API_ROOT.length);
const UPLOADS_PATH = UPLOADS_HREF_ROOT.slice(API_ROOT.length);

function invalid(field: string, message: string): FieldValidationException {
  return new FieldValidationException({ [field]: [message] });
}

/**
 * `POST {repository_href}import_tarball/`: a docker-archive or oci-archive (as skopeo writes them) becomes one
 * new version of the repository. The archive is an artifact, or a file sent in this request that is streamed
 * into one first; a task on the upload worker reads it and records its content.
 */
@Controller(`${API_ROOT.slice(1)}${REPOSITORIES_PATH}`)
export class TarballImportController {
  constructor(
    private readonly tasks: TaskDispatcher,
    private readonly queries: Queries,
    private readonly infrastructure: Infrastructure,
  ) {}

  /** Opened on first use, as in ArtifactsController: a gateway that takes no file holds no connection. */
  private get blobs(): BlobStore {
    return this.infrastructure.blobStore();
  }

  @Post(':id/import_tarball')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_import_tarball',
    summary: 'Import a docker-archive or oci-archive tarball as one new version',
    description:
      'A multipart form with the archive in the field `file`, or JSON with `artifact` (an archive uploaded ' +
      'before) or `upload` (a complete upload, sent in chunks, which the task commits into an artifact). The ' +
      'task adds every image in it, tagged as the archive tags them, as one new version.',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'ContainerRepositoryImportTarball',
    responses: QUEUED_ACTION_RESPONSES,
  })
  async importTarball(@Param('id') id: string, @Req() request: Request): Promise<AsyncOperationResponse> {
    if (!isUuid(id)) throw new NotFoundException();
    // Before any byte of a file is stored: an unknown repository is a 404 now rather than a failed task.
    await this.queries.ask('content.repository.get', { id });
    const source = isMultipart(request)
      ? { artifactId: await this.fromFile(request) }
      : await this.fromHref(request.body);
    const payload: ImportTarballTaskPayload = { repositoryId: id, ...source };
    // A commit from an upload ends the upload, so the task holds it alone; an artifact can be shared.
    return this.tasks.dispatch({
      name: IMPORT_TARBALL_TASK,
      worker: UPLOAD_WORKER,
      payload,
      exclusiveResources:
        source.uploadId === undefined
          ? [repositoryHref(id)]
          : [repositoryHref(id), uploadHref(source.uploadId)],
      sharedResources: source.uploadId === undefined ? [artifactHref(source.artifactId)] : [],
    });
  }

  private async fromHref(raw: unknown): Promise<ArchiveSource> {
    const body = (await pulpValidationPipe.transform(raw ?? {}, {
      type: 'body',
      metatype: ImportTarballBody,
    })) as ImportTarballBody;
    if (body.upload !== undefined && body.artifact !== undefined) {
      throw invalid('non_field_errors', 'Give an artifact or an upload, not both.');
    }
    if (body.upload !== undefined) return this.fromUpload(body.upload);
    if (body.artifact === undefined) {
      throw invalid('artifact', 'Give an artifact or an upload, or send the file as `file`.');
    }
    const artifactId = idFromHref(body.artifact, ARTIFACTS_PATH);
    if (!artifactId) throw invalid('artifact', 'Invalid hyperlink - not an artifact href.');
    try {
      await this.queries.ask('artifact.get', { id: artifactId });
    } catch (error) {
      if (error instanceof RemoteError && error.remoteName === 'NotFoundError') {
        throw invalid('artifact', 'Invalid hyperlink - Object does not exist.');
      }
      throw error;
    }
    return { artifactId };
  }

  /** Refused now unless every byte arrived: a commit of an incomplete upload could only fail later. */
  private async fromUpload(href: string): Promise<ArchiveSource> {
    const uploadId = idFromHref(href, UPLOADS_PATH);
    if (!uploadId) throw invalid('upload', 'Invalid hyperlink - not an upload href.');
    let upload: UploadView;
    try {
      upload = await this.queries.ask('upload.get', { id: uploadId });
    } catch (error) {
      if (error instanceof RemoteError && error.remoteName === 'NotFoundError') {
        throw invalid('upload', 'Invalid hyperlink - Object does not exist.');
      }
      throw error;
    }
    const received = upload.chunks.reduce((sum, chunk) => sum + chunk.end - chunk.start + 1, 0);
    if (received !== upload.size) {
      throw invalid('upload', `The upload has ${received} of its ${upload.size} bytes; send the rest first.`);
    }
    return { artifactId: randomUUID(), uploadId };
  }

  /** The archive streams into the blob store and becomes an artifact, exactly as `POST artifacts/` does. */
  private async fromFile(request: Request): Promise<string> {
    const { result } = await readMultipartFile(request, (file) => this.blobs.put(new MeasuredBody(file)));
    return (await this.queries.ask('artifact.record', { digest: result.digest })).id;
  }
}
