import { Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { BlobStore } from '@wharf/ports';
import { Infrastructure, Queries } from '@wharf/runtime';
import { ARTIFACTS_HREF_ROOT, artifactHref, type ArtifactView } from '@wharf/contracts';
import { API_ROOT, isUuid } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';
import { MeasuredBody, isMultipart, readMultipartFile } from './uploads.controller.js';

const ARTIFACTS_PATH = ARTIFACTS_HREF_ROOT.slice(API_ROOT.length);
const TAGS = ['Artifacts'];

/** Pulp's `ArtifactResponse`; Wharf keeps only sha256, so the other checksums are null. */
function artifactJson(artifact: ArtifactView): Record<string, unknown> {
  const sha256 = artifact.digest.slice('sha256:'.length);
  return {
    pulp_href: artifactHref(artifact.id),
    prn: `prn:core.artifact:${artifact.id}`,
    pulp_created: artifact.createdAt,
    // Artifacts never change.
    pulp_last_updated: artifact.createdAt,
    file: `artifact/${sha256.slice(0, 2)}/${sha256.slice(2)}`,
    size: artifact.size,
    md5: null,
    sha1: null,
    sha224: null,
    sha256,
    sha384: null,
    sha512: null,
  };
}

/** Pulp's artifacts: stored files by checksum. A single-request upload streams the file into the blob store. */
@Controller(`${API_ROOT.slice(1)}${ARTIFACTS_PATH}`)
export class ArtifactsController {
  constructor(
    private readonly queries: Queries,
    private readonly infrastructure: Infrastructure,
  ) {}

  /**
   * Upload bytes stream from the request straight into the blob store rather than across the bus. Opened on
   * first use, so a gateway that never takes an upload holds no storage connection (and reports none).
   */
  private get blobs(): BlobStore {
    return this.infrastructure.blobStore();
  }

  @Post()
  @HttpCode(201)
  @PulpOperation({
    operationId: 'artifacts_create',
    summary: 'Upload a file as an artifact in one request',
    description:
      "A multipart form with the field 'file' and, optionally, 'sha256' and 'size' to verify it. A file whose " +
      'sha256 already has an artifact gets that artifact.',
    tags: TAGS,
    responses: { '201': 'ArtifactResponse', '400': 'ValidationErrorResponse' },
  })
  async create(@Req() request: Request): Promise<Record<string, unknown>> {
    if (!isMultipart(request)) {
      throw new FieldValidationException({ file: ['Send the file as the multipart/form-data field file.'] });
    }
    const { result, fields } = await readMultipartFile(request, async (file) => {
      const body = new MeasuredBody(file);
      const stored = await this.blobs.put(body);
      return { stored, body };
    });
    const sha256 = result.stored.digest.slice('sha256:'.length);
    // The blob is already stored by now; refused, it stays unreferenced until orphan cleanup removes it.
    if (fields.sha256 !== undefined && fields.sha256.toLowerCase() !== sha256) {
      throw new FieldValidationException({
        sha256: [`The file's sha256 is ${sha256}, not the ${fields.sha256} that was sent.`],
      });
    }
    if (fields.size !== undefined && Number(fields.size) !== result.body.size) {
      throw new FieldValidationException({
        size: [`The file has ${result.body.size} bytes, not the ${fields.size} that were sent.`],
      });
    }
    return artifactJson(await this.queries.ask('artifact.record', { digest: result.stored.digest }));
  }

  @Get()
  @PulpOperation({
    operationId: 'artifacts_list',
    summary: 'List artifacts, newest first',
    tags: TAGS,
    query: [...LIST_PARAMETERS, filterParameter('sha256', 'Only the artifact with this sha256 (hex).')],
    responses: { '200': 'PaginatedArtifactResponseList', '400': 'ValidationErrorResponse' },
  })
  async list(
    @Req() request: Request,
    @Query() query: Record<string, string>,
  ): Promise<PulpList<Record<string, unknown>>> {
    const page = pageRequest(query);
    const found = await this.queries.ask('artifact.list', {
      sha256: query.sha256 ? query.sha256.toLowerCase() : undefined,
      ...page,
    });
    return pulpList(request, page, found.count, found.results.map(artifactJson));
  }

  @Get(':id')
  @PulpOperation({
    operationId: 'artifacts_read',
    summary: 'Inspect an artifact',
    tags: TAGS,
    href: 'artifact_href',
    responses: { '200': 'ArtifactResponse', '404': 'ErrorDetailResponse' },
  })
  async read(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    return artifactJson(await this.queries.ask('artifact.get', { id }));
  }
}
