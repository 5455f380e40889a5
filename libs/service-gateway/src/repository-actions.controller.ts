import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import type { SchemaName } from './openapi/schemas.js';
import { Body, Controller, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { IsArray, IsBoolean, IsInt, IsOptional, IsString, Min } from 'class-validator';
import { SYNC_WORKER } from '@wharf/contracts';
import type { ContentTaskPayload, ContentWriteOperation, CopySource, UnitKey } from '@wharf/contracts';
import { RemoteError } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { API_ROOT, REPOSITORIES_PATH, idFromHref, isUuid, repositoryHref, versionFromHref } from './hrefs.js';
import { unitKeyFromHref } from './content-hrefs.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { REMOTES_PATH, remoteHref } from './remotes.controller.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';

export class ModifyBody {
  @IsOptional() @IsArray() @IsString({ each: true }) add_content_units?: string[];
  @IsOptional() @IsArray() @IsString({ each: true }) remove_content_units?: string[];
  @IsOptional() @IsString() base_version?: string;
}

export class ContentUnitsBody {
  @IsArray() @IsString({ each: true }) content_units!: string[];
}

class CopySourceBody {
  @IsOptional() @IsString() source_repository?: string;
  @IsOptional() @IsString() source_repository_version?: string;
}

export class CopyTagsBody extends CopySourceBody {
  @IsOptional() @IsArray() @IsString({ each: true }) names?: string[];
}

export class CopyManifestsBody extends CopySourceBody {
  @IsOptional() @IsArray() @IsString({ each: true }) digests?: string[];
  @IsOptional() @IsArray() @IsString({ each: true }) media_types?: string[];
}

export class TagBody {
  @IsString() tag!: string;
  @IsString() digest!: string;
}

export class UntagBody {
  @IsString() tag!: string;
}

export class RollbackBody {
  @IsInt() @Min(0) version!: number;
}

export class SyncBody {
  @IsOptional() @IsString() remote?: string;
  @IsOptional() @IsBoolean() mirror?: boolean;
  @IsOptional() @IsBoolean() signed_only?: boolean;
}

/** The sync worker's task and its payload (the sync service owns the shape; the gateway only builds it). */
const SYNC_TASK = 'pulp_container.app.tasks.synchronize';

interface SyncTaskPayload {
  readonly repositoryId: string;
  readonly remoteId: string;
  readonly mirror: boolean;
}

export const TAGS = ['Repositories: Container'];
export const REPOSITORY_HREF = 'container_container_repository_href';
/** Every action answers alike: queued as a task, or refused before it is queued. */
export const QUEUED_ACTION_RESPONSES = {
  '202': 'AsyncOperationResponse',
  '400': 'ValidationErrorResponse',
  '404': 'ErrorDetailResponse',
} as const satisfies Record<string, SchemaName>;

function invalid(field: string, message: string): FieldValidationException {
  return new FieldValidationException({ [field]: [message] });
}

function unitKeys(field: string, hrefs: readonly string[]): UnitKey[] {
  return hrefs.map((href) => {
    const key = unitKeyFromHref(href);
    if (!key) throw invalid(field, `Invalid hyperlink - not a container content href: ${href}`);
    return key;
  });
}

function baseVersion(repositoryId: string, href: string | undefined): number | undefined {
  if (href === undefined) return undefined;
  const version = versionFromHref(href);
  if (!version || version.repositoryId !== repositoryId) {
    throw invalid('base_version', 'Invalid hyperlink - not a version of this repository.');
  }
  return version.version;
}

function copySource(body: CopySourceBody): CopySource {
  if (body.source_repository && body.source_repository_version) {
    throw invalid('non_field_errors', 'Give source_repository or source_repository_version, not both.');
  }
  if (body.source_repository_version) {
    const version = versionFromHref(body.source_repository_version);
    if (!version)
      throw invalid('source_repository_version', 'Invalid hyperlink - not a repository version href.');
    return { repositoryId: version.repositoryId, version: version.version };
  }
  if (body.source_repository) {
    const repositoryId = idFromHref(body.source_repository, REPOSITORIES_PATH);
    if (!repositoryId)
      throw invalid('source_repository', 'Invalid hyperlink - not a container repository href.');
    return { repositoryId };
  }
  throw invalid('source_repository', 'Give source_repository or source_repository_version.');
}

/** Actions on a repository href. Each becomes a task on the content worker, serialized per repository. */
@Controller(`${API_ROOT.slice(1)}${REPOSITORIES_PATH}`)
export class RepositoryActionsController {
  constructor(
    private readonly tasks: TaskDispatcher,
    private readonly queries: Queries,
  ) {}

  @Post(':id/modify')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_modify',
    summary: 'Add and remove content in one new version',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'RepositoryAddRemoveContent',
    responses: QUEUED_ACTION_RESPONSES,
  })
  modify(@Param('id') id: string, @Body() body: ModifyBody): Promise<AsyncOperationResponse> {
    const remove = body.remove_content_units;
    return this.write(id, 'pulpcore.app.tasks.repository.add_and_remove', 'content.version.modify', {
      repositoryId: id,
      add: unitKeys('add_content_units', body.add_content_units ?? []),
      remove:
        remove?.length === 1 && remove[0] === '*' ? '*' : unitKeys('remove_content_units', remove ?? []),
      baseVersion: baseVersion(id, body.base_version),
    });
  }

  @Post(':id/add')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_add',
    summary: 'Add content with everything it references',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'RecursiveManage',
    responses: QUEUED_ACTION_RESPONSES,
  })
  add(@Param('id') id: string, @Body() body: ContentUnitsBody): Promise<AsyncOperationResponse> {
    return this.write(id, 'pulp_container.app.tasks.recursive_add_content', 'content.version.add', {
      repositoryId: id,
      units: unitKeys('content_units', body.content_units),
    });
  }

  @Post(':id/remove')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_remove',
    summary: 'Remove content and what nothing else needs',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'RecursiveManage',
    responses: QUEUED_ACTION_RESPONSES,
  })
  remove(@Param('id') id: string, @Body() body: ContentUnitsBody): Promise<AsyncOperationResponse> {
    const all = body.content_units.length === 1 && body.content_units[0] === '*';
    return this.write(id, 'pulp_container.app.tasks.recursive_remove_content', 'content.version.remove', {
      repositoryId: id,
      units: all ? '*' : unitKeys('content_units', body.content_units),
    });
  }

  @Post(':id/copy_tags')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_copy_tags',
    summary: 'Copy tags, with their manifests and blobs, from another repository',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'TagCopy',
    responses: QUEUED_ACTION_RESPONSES,
  })
  copyTags(@Param('id') id: string, @Body() body: CopyTagsBody): Promise<AsyncOperationResponse> {
    const source = copySource(body);
    return this.write(
      id,
      'pulp_container.app.tasks.recursive_add_content',
      'content.version.copy_tags',
      { repositoryId: id, source, names: body.names },
      [repositoryHref(source.repositoryId)],
    );
  }

  @Post(':id/copy_manifests')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_copy_manifests',
    summary: 'Copy manifests, with what they reference, from another repository',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'ManifestCopy',
    responses: QUEUED_ACTION_RESPONSES,
  })
  copyManifests(@Param('id') id: string, @Body() body: CopyManifestsBody): Promise<AsyncOperationResponse> {
    const source = copySource(body);
    return this.write(
      id,
      'pulp_container.app.tasks.recursive_add_content',
      'content.version.copy_manifests',
      { repositoryId: id, source, digests: body.digests, mediaTypes: body.media_types },
      [repositoryHref(source.repositoryId)],
    );
  }

  @Post(':id/tag')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_tag',
    summary: 'Tag a manifest',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'TagImage',
    responses: QUEUED_ACTION_RESPONSES,
  })
  tag(@Param('id') id: string, @Body() body: TagBody): Promise<AsyncOperationResponse> {
    return this.write(id, 'pulp_container.app.tasks.tag_image', 'content.version.tag', {
      repositoryId: id,
      tag: body.tag,
      digest: body.digest,
    });
  }

  @Post(':id/untag')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_untag',
    summary: 'Remove a tag',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'UnTagImage',
    responses: QUEUED_ACTION_RESPONSES,
  })
  untag(@Param('id') id: string, @Body() body: UntagBody): Promise<AsyncOperationResponse> {
    return this.write(id, 'pulp_container.app.tasks.untag_image', 'content.version.untag', {
      repositoryId: id,
      tag: body.tag,
    });
  }

  @Post(':id/rollback')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_rollback',
    summary: 'Make a new version with the content of an older one',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'RepositoryRollback',
    responses: QUEUED_ACTION_RESPONSES,
  })
  rollback(@Param('id') id: string, @Body() body: RollbackBody): Promise<AsyncOperationResponse> {
    return this.write(id, 'wharf.tasks.rollback', 'content.version.rollback', {
      repositoryId: id,
      version: body.version,
    });
  }

  @Post(':id/sync')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_sync',
    summary: 'Sync from a remote into a new version',
    tags: TAGS,
    href: REPOSITORY_HREF,
    requestBody: 'ContainerRepositorySyncURL',
    responses: QUEUED_ACTION_RESPONSES,
  })
  async sync(@Param('id') id: string, @Body() body: SyncBody): Promise<AsyncOperationResponse> {
    if (!isUuid(id)) throw new NotFoundException();
    if (body.signed_only) throw invalid('signed_only', 'Signature verification is not supported yet.');
    const repository = await this.queries.ask('content.repository.get', { id });
    const remoteId = body.remote === undefined ? repository.remote : idFromHref(body.remote, REMOTES_PATH);
    if (!remoteId) {
      throw invalid(
        'remote',
        body.remote === undefined
          ? 'A remote must be given: the repository has no remote of its own.'
          : 'Invalid hyperlink - not a container remote href.',
      );
    }
    await this.requireRemote(remoteId);
    const payload: SyncTaskPayload = { repositoryId: id, remoteId, mirror: body.mirror ?? false };
    return this.tasks.dispatch({
      name: SYNC_TASK,
      worker: SYNC_WORKER,
      payload,
      exclusiveResources: [repositoryHref(id)],
      sharedResources: [remoteHref(remoteId)],
    });
  }

  /** An unknown remote is the request's fault (a 400 on `remote`, as in Pulp) and not a failed task later. */
  private async requireRemote(remoteId: string): Promise<void> {
    try {
      await this.queries.ask('remote.get', { id: remoteId });
    } catch (error) {
      if (error instanceof RemoteError && error.remoteName === 'NotFoundError') {
        throw invalid('remote', 'Invalid hyperlink - Object does not exist.');
      }
      throw error;
    }
  }

  /**
   * Checks the repository exists (a 404 now beats a failed task later), then queues the write on it; a copy
   * also holds its source, so the source cannot change under it.
   */
  private async write<O extends ContentWriteOperation>(
    repositoryId: string,
    name: string,
    operation: O,
    request: ContentTaskPayload<O>['request'],
    sharedResources: string[] = [],
  ): Promise<AsyncOperationResponse> {
    if (!isUuid(repositoryId)) throw new NotFoundException();
    await this.queries.ask('content.repository.get', { id: repositoryId });
    const payload: ContentTaskPayload<O> = { operation, request };
    return this.tasks.dispatch({
      name,
      worker: 'content',
      payload,
      exclusiveResources: [repositoryHref(repositoryId)],
      sharedResources: sharedResources.filter((r) => r !== repositoryHref(repositoryId)),
    });
  }
}
