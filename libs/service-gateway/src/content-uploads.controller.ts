import { Controller, HttpCode, Post, Req, type Type } from '@nestjs/common';
import type { Request } from 'express';
import { IsOptional, IsString } from 'class-validator';
import { ARTIFACTS_HREF_ROOT, UPLOAD_WORKER, artifactHref, type UnitType } from '@wharf/contracts';
import { isValidTag } from '@wharf/oci';
import { RemoteError, type BlobStore } from '@wharf/ports';
import { Infrastructure, Queries } from '@wharf/runtime';
import { CONTENT_PATHS } from './content-hrefs.js';
import { API_ROOT, REPOSITORIES_PATH, idFromHref, repositoryHref } from './hrefs.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';
import { MeasuredBody, isMultipart, readMultipartFile } from './uploads.controller.js';
import { pulpValidationPipe } from './validation.js';

export class BlobFromArtifactBody {
  @IsOptional() @IsString() artifact?: string;
  @IsOptional() @IsString() repository?: string;
}

export class ManifestFromArtifactBody extends BlobFromArtifactBody {
  @IsOptional() @IsString() tag?: string;
}

/** The upload worker's task and its payload (the upload service owns the shape; the gateway only builds it). */
const ARTIFACT_CONTENT_TASK = 'pulpcore.app.tasks.base.general_create';

interface ArtifactContentTaskPayload {
  readonly unitType: 'blob' | 'manifest';
  readonly artifactId: string;
  readonly repositoryId?: string;
  readonly tag?: string;
}

const ARTIFACTS_PATH = ARTIFACTS_HREF_ROOT.slice(API_ROOT.length);

function invalid(field: string, message: string): FieldValidationException {
  return new FieldValidationException({ [field]: [message] });
}

/**
 * `POST content/container/<type>s/` for blobs and manifests: a unit from an artifact, or from a file sent in
 * the same request (stored as an artifact first). The unit is created by a task on the upload worker, which
 * validates it; tags are not uploaded, they come with `tag/`.
 */
function contentFromArtifactController(type: Exclude<UnitType, 'tag'>): Type {
  const Body = type === 'blob' ? BlobFromArtifactBody : ManifestFromArtifactBody;
  const title = `${type[0]!.toUpperCase()}${type.slice(1)}s`;

  @Controller(`${API_ROOT.slice(1)}${CONTENT_PATHS[type]}`)
  class ContentFromArtifactController {
    constructor(
      readonly queries: Queries,
      readonly tasks: TaskDispatcher,
      readonly infrastructure: Infrastructure,
    ) {}

    /** Opened on first use, as in ArtifactsController: a gateway that takes no file holds no connection. */
    private get blobs(): BlobStore {
      return this.infrastructure.blobStore();
    }

    @Post()
    @HttpCode(202)
    @PulpOperation({
      operationId: `content_container_${type}s_create`,
      summary: `Create a ${type} from an artifact or a file`,
      description:
        `JSON with \`artifact\`, or a multipart form with the file in the field \`file\` (and the other ` +
        `fields beside it). The task creates the ${type}` +
        (type === 'manifest'
          ? ' (checked: schema, media type, every referenced blob and manifest exists)'
          : '') +
        ' and, given `repository`, a new version holding it.',
      tags: [`Content: ${title}`],
      requestBody: type === 'blob' ? 'container.Blob' : 'container.Manifest',
      responses: { '202': 'AsyncOperationResponse', '400': 'ValidationErrorResponse' },
    })
    async create(@Req() request: Request): Promise<AsyncOperationResponse> {
      const { body, artifactId } = isMultipart(request)
        ? await this.fromFile(request)
        : await this.fromArtifactHref(request.body);
      const repositoryId = repositoryIdOf(body);
      const tag = type === 'manifest' ? tagOf(body as ManifestFromArtifactBody, repositoryId) : undefined;
      const payload: ArtifactContentTaskPayload = { unitType: type, artifactId, repositoryId, tag };
      return this.tasks.dispatch({
        name: ARTIFACT_CONTENT_TASK,
        worker: UPLOAD_WORKER,
        payload,
        exclusiveResources: repositoryId === undefined ? [] : [repositoryHref(repositoryId)],
        sharedResources: [artifactHref(artifactId)],
      });
    }

    private async fromArtifactHref(
      raw: unknown,
    ): Promise<{ body: BlobFromArtifactBody; artifactId: string }> {
      const body = await validBody(raw);
      if (body.artifact === undefined) throw invalid('artifact', 'This field is required.');
      const artifactId = idFromHref(body.artifact, ARTIFACTS_PATH);
      if (!artifactId) throw invalid('artifact', 'Invalid hyperlink - not an artifact href.');
      await this.requireArtifact(artifactId);
      return { body, artifactId };
    }

    /** The file streams into the blob store and becomes an artifact, exactly as `POST artifacts/` does. */
    private async fromFile(request: Request): Promise<{ body: BlobFromArtifactBody; artifactId: string }> {
      const { result, fields } = await readMultipartFile(request, (file) =>
        this.blobs.put(new MeasuredBody(file)),
      );
      const body = await validBody(fields);
      if (body.artifact !== undefined) throw invalid('artifact', 'Send an artifact or a file, not both.');
      const artifact = await this.queries.ask('artifact.record', { digest: result.digest });
      return { body, artifactId: artifact.id };
    }

    /** An unknown artifact is the request's fault: a 400 now rather than a failed task later. */
    private async requireArtifact(id: string): Promise<void> {
      try {
        await this.queries.ask('artifact.get', { id });
      } catch (error) {
        if (error instanceof RemoteError && error.remoteName === 'NotFoundError') {
          throw invalid('artifact', 'Invalid hyperlink - Object does not exist.');
        }
        throw error;
      }
    }
  }

  async function validBody(raw: unknown): Promise<BlobFromArtifactBody> {
    return (await pulpValidationPipe.transform(raw ?? {}, {
      type: 'body',
      metatype: Body,
    })) as BlobFromArtifactBody;
  }

  Object.defineProperty(ContentFromArtifactController, 'name', {
    value: `Content${title}FromArtifactController`,
  });
  return ContentFromArtifactController;
}

function repositoryIdOf(body: BlobFromArtifactBody): string | undefined {
  if (body.repository === undefined) return undefined;
  const id = idFromHref(body.repository, REPOSITORIES_PATH);
  if (!id) throw invalid('repository', 'Invalid hyperlink - not a container repository href.');
  return id;
}

function tagOf(body: ManifestFromArtifactBody, repositoryId: string | undefined): string | undefined {
  if (body.tag === undefined) return undefined;
  if (repositoryId === undefined) throw invalid('tag', 'A tag needs a repository to be tagged in.');
  if (!isValidTag(body.tag)) throw invalid('tag', `"${body.tag}" is not a valid tag name.`);
  return body.tag;
}

export const BlobsFromArtifactController = contentFromArtifactController('blob');
export const ManifestsFromArtifactController = contentFromArtifactController('manifest');
