import type { Page } from './repository.contract.js';

/*
 * Chunked uploads and artifacts over the bus, answered by the upload service (Pulp's core `uploads/` and
 * `artifacts/`). The bytes never travel on the bus: the gateway streams each chunk straight into the blob
 * store's multipart session the upload service opened, asking first where the chunk goes (`upload.place-chunk`)
 * and then recording it (`upload.record-chunk`). Committing runs as a task on the upload worker: it joins the
 * parts, verifies the sha256 and records the artifact.
 */

/** A byte range of an upload, inclusive at both ends as in `Content-Range: bytes start-end/size`. */
export interface ChunkRange {
  readonly start: number;
  readonly end: number;
}

export interface UploadView {
  readonly id: string;
  readonly size: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The ranges received so far, in offset order. */
  readonly chunks: readonly ChunkRange[];
}

export interface ArtifactView {
  readonly id: string;
  /** `sha256:<hex>`: the blob store object holding its bytes. */
  readonly digest: string;
  readonly size: number;
  readonly createdAt: string;
}

/** Where a chunk's bytes go: the blob store's multipart session and the part number its offset maps to. */
export interface ChunkPlacement {
  readonly blobUploadId: string;
  readonly partNumber: number;
}

export interface PlaceChunkRequest {
  readonly uploadId: string;
  readonly range: ChunkRange;
  /** The total in `Content-Range`, which must equal the upload's size. */
  readonly total: number;
}

export interface RecordChunkRequest {
  readonly uploadId: string;
  readonly range: ChunkRange;
  readonly partNumber: number;
}

export interface CommitUploadRequest {
  readonly uploadId: string;
  /** Lower-case hex, as Pulp's clients send it. */
  readonly sha256: string;
}

/** Payload of the commit task: the upload, the digest it must have, and the id a new artifact will get. */
export interface CommitUploadTask extends CommitUploadRequest {
  readonly artifactId: string;
}

export interface ListArtifactsRequest {
  readonly sha256?: string;
  readonly offset: number;
  readonly limit: number;
}

export const UPLOAD_WORKER = 'upload';

export const UPLOAD_TASKS = {
  commit: 'pulpcore.app.tasks.upload.commit',
} as const;

export const UPLOADS_HREF_ROOT = '/pulp/api/v3/uploads/';
export const ARTIFACTS_HREF_ROOT = '/pulp/api/v3/artifacts/';

export function uploadHref(id: string): string {
  return `${UPLOADS_HREF_ROOT}${id}/`;
}

export function artifactHref(id: string): string {
  return `${ARTIFACTS_HREF_ROOT}${id}/`;
}

export interface UploadQueryMap {
  'upload.create': { request: { size: number }; response: UploadView };
  'upload.get': { request: { id: string }; response: UploadView };
  'upload.list': { request: { offset: number; limit: number }; response: Page<UploadView> };
  'upload.delete': { request: { id: string }; response: { id: string } };
  'upload.place-chunk': { request: PlaceChunkRequest; response: ChunkPlacement };
  'upload.record-chunk': { request: RecordChunkRequest; response: UploadView };
  'upload.validate-commit': { request: CommitUploadRequest; response: CommitUploadTask };
  /** Records an artifact for a blob already stored (single-request upload); an existing digest is reused. */
  'artifact.record': { request: { digest: string }; response: ArtifactView };
  'artifact.get': { request: { id: string }; response: ArtifactView };
  'artifact.list': { request: ListArtifactsRequest; response: Page<ArtifactView> };
}
