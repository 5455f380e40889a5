import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import { IsInt, IsString, Min } from 'class-validator';
import type { BlobStore } from '@wharf/ports';
import { Infrastructure, Queries, bytesUploaded } from '@wharf/runtime';
import {
  UPLOAD_TASKS,
  UPLOAD_WORKER,
  UPLOADS_HREF_ROOT,
  uploadHref,
  type ChunkRange,
  type UploadView,
} from '@wharf/contracts';
import { API_ROOT, isUuid } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS } from './openapi/query-parameters.js';

const UPLOADS_PATH = UPLOADS_HREF_ROOT.slice(API_ROOT.length);
const TAGS = ['Uploads'];
const HREF_PARAMETER = 'upload_href';

export class UploadCreateBody {
  @IsInt()
  @Min(1)
  size!: number;
}

export class UploadCommitBody {
  @IsString()
  sha256!: string;
}

/** Pulp's `UploadResponse`. */
function uploadJson(upload: UploadView): Record<string, unknown> {
  return {
    pulp_href: uploadHref(upload.id),
    prn: `prn:core.upload:${upload.id}`,
    pulp_created: upload.createdAt,
    pulp_last_updated: upload.updatedAt,
    size: upload.size,
    // Pulp fills this only once a commit finished; committed uploads are gone from Wharf's API.
    completed: null,
  };
}

/** Pulp's `UploadDetailResponse`: the upload and the chunks it has received. */
function uploadDetailJson(upload: UploadView): Record<string, unknown> {
  return {
    ...uploadJson(upload),
    chunks: upload.chunks.map((c) => ({ offset: c.start, size: c.end - c.start + 1 })),
  };
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;

/** `Content-Range: bytes start-end/total`, or a 400 naming the header and what was wrong with it. */
export function parseContentRange(raw: string | undefined): { range: ChunkRange; total: number } {
  const match = raw === undefined ? null : CONTENT_RANGE.exec(raw.trim());
  if (!match) {
    throw new BadRequestException(
      raw === undefined
        ? "The Content-Range header is required, e.g. 'bytes 0-99/1000'."
        : `The Content-Range header '${raw}' is not of the form 'bytes <start>-<end>/<size>'.`,
    );
  }
  const [start, end, total] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (![start, end, total].every(Number.isSafeInteger) || start > end || end >= total) {
    throw new BadRequestException(
      `The Content-Range header '${raw}' names no bytes of a ${total}-byte upload.`,
    );
  }
  return { range: { start, end }, total };
}

/** The bytes of a request body as they stream past: counted and hashed, never held. */
export class MeasuredBody {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly source: AsyncIterable<Uint8Array>) {}

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for await (const chunk of this.source) {
      this.hash.update(chunk);
      this.size += chunk.length;
      bytesUploaded.inc(chunk.length);
      yield chunk;
    }
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

/** The events of a busboy parser this code listens to; it is a Writable the request is piped into. */
type MultipartParser = Writable & {
  on(event: 'file', listener: (name: string, stream: Readable) => void): MultipartParser;
  on(event: 'field', listener: (name: string, value: string) => void): MultipartParser;
};

type BusboyFactory = (options: {
  headers: Request['headers'];
  limits: { files: number; fieldSize: number };
}) => MultipartParser;

// busboy is what multer (from @nestjs/platform-express) parses with; it ships no type declarations.
const busboy = createRequire(import.meta.url)('busboy') as BusboyFactory;

export function isMultipart(request: Request): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
}

/**
 * Streams the multipart form field `file` through `consume` while collecting the small text fields
 * (`sha256`, `size`) that may come before or after it. Without a `file` field the request is a 400.
 */
export function readMultipartFile<T>(
  request: Request,
  consume: (file: Readable) => Promise<T>,
): Promise<{ result: T; fields: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let consumed: Promise<T> | undefined;
    const parser = busboy({ headers: request.headers, limits: { files: 1, fieldSize: 1024 } });
    parser.on('file', (name, stream) => {
      if (name !== 'file' || consumed) {
        stream.resume();
        return;
      }
      consumed = consume(stream);
      // Drain what the consumer left so the parser reaches the end of the request and settles.
      consumed.catch(() => stream.resume());
    });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('error', (error) =>
      reject(new BadRequestException(`Multipart parse error - ${error.message}`)),
    );
    parser.on('close', () => {
      if (!consumed) {
        reject(new FieldValidationException({ file: ['No file was submitted.'] }));
        return;
      }
      consumed.then((result) => resolve({ result, fields }), reject);
    });
    request.pipe(parser);
  });
}

/**
 * Pulp's chunked uploads. A chunk's bytes stream from the request straight into the blob store's multipart
 * session; the upload service decides where each chunk goes and records it, and commits as a task.
 */
@Controller(`${API_ROOT.slice(1)}${UPLOADS_PATH}`)
export class UploadsController {
  constructor(
    private readonly queries: Queries,
    private readonly tasks: TaskDispatcher,
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
    operationId: 'uploads_create',
    summary: 'Start an upload of the given size in bytes',
    tags: TAGS,
    requestBody: 'Upload',
    responses: { '201': 'UploadResponse', '400': 'ValidationErrorResponse' },
  })
  async create(@Body() body: UploadCreateBody): Promise<Record<string, unknown>> {
    return uploadJson(await this.queries.ask('upload.create', { size: body.size }));
  }

  @Get()
  @PulpOperation({
    operationId: 'uploads_list',
    summary: 'List the uploads not yet committed, newest first',
    tags: TAGS,
    query: LIST_PARAMETERS,
    responses: { '200': 'PaginatedUploadResponseList', '400': 'ValidationErrorResponse' },
  })
  async list(
    @Req() request: Request,
    @Query() query: Record<string, string>,
  ): Promise<PulpList<Record<string, unknown>>> {
    const page = pageRequest(query);
    const found = await this.queries.ask('upload.list', page);
    return pulpList(request, page, found.count, found.results.map(uploadJson));
  }

  @Get(':id')
  @PulpOperation({
    operationId: 'uploads_read',
    summary: 'Inspect an upload and the chunks it has received',
    tags: TAGS,
    href: HREF_PARAMETER,
    responses: { '200': 'UploadDetailResponse', '404': 'ErrorDetailResponse' },
  })
  async read(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    return uploadDetailJson(await this.queries.ask('upload.get', { id }));
  }

  @Put(':id')
  @PulpOperation({
    operationId: 'uploads_update',
    summary: 'Upload one chunk',
    description:
      "The chunk is the raw body (Content-Type: application/octet-stream) or the multipart form field 'file', " +
      "with an optional 'sha256' field to verify it; Content-Range says where it goes. Chunks may come in any " +
      'order; every chunk but the last must hold at least the blob store’s part size (5 MiB on S3).',
    tags: TAGS,
    href: HREF_PARAMETER,
    responses: { '200': 'UploadResponse', '400': 'ValidationErrorResponse', '404': 'ErrorDetailResponse' },
  })
  async putChunk(@Param('id') id: string, @Req() request: Request): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    const header = request.headers['content-range'];
    const { range, total } = parseContentRange(header);
    const placement = await this.queries.ask('upload.place-chunk', { uploadId: id, range, total });
    const store = async (source: AsyncIterable<Uint8Array>): Promise<MeasuredBody> => {
      const body = new MeasuredBody(source);
      await this.blobs.putUploadPart(placement.blobUploadId, placement.partNumber, body);
      return body;
    };
    const { result: body, fields } = isMultipart(request)
      ? await readMultipartFile(request, store)
      : { result: await store(request), fields: {} as Record<string, string> };
    const expected = range.end - range.start + 1;
    if (body.size !== expected) {
      throw new BadRequestException(
        `Upload ${id}: the chunk has ${body.size} bytes but the Content-Range header '${header}' announces ${expected}.`,
      );
    }
    const sha256 = body.sha256();
    if (fields.sha256 !== undefined && fields.sha256.toLowerCase() !== sha256) {
      throw new FieldValidationException({
        sha256: [`The chunk's sha256 is ${sha256}, not the ${fields.sha256} that was sent.`],
      });
    }
    const recorded = await this.queries.ask('upload.record-chunk', {
      uploadId: id,
      range,
      partNumber: placement.partNumber,
    });
    return uploadJson(recorded);
  }

  @Delete(':id')
  @HttpCode(204)
  @PulpOperation({
    operationId: 'uploads_delete',
    summary: 'Abandon an upload and delete the chunks it received',
    tags: TAGS,
    href: HREF_PARAMETER,
    responses: { '204': null, '404': 'ErrorDetailResponse' },
  })
  async delete(@Param('id') id: string): Promise<void> {
    if (!isUuid(id)) throw new NotFoundException();
    await this.queries.ask('upload.delete', { id });
  }

  @Post(':id/commit')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'uploads_commit',
    summary: 'Join the chunks into an artifact, verifying its sha256',
    tags: TAGS,
    href: HREF_PARAMETER,
    requestBody: 'UploadCommit',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  async commit(@Param('id') id: string, @Body() body: UploadCommitBody): Promise<AsyncOperationResponse> {
    if (!isUuid(id)) throw new NotFoundException();
    const payload = await this.queries.ask('upload.validate-commit', {
      uploadId: id,
      sha256: body.sha256.toLowerCase(),
    });
    return this.tasks.dispatch({
      name: UPLOAD_TASKS.commit,
      worker: UPLOAD_WORKER,
      payload,
      exclusiveResources: [uploadHref(id)],
    });
  }
}
