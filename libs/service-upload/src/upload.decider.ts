import { ConflictError, ValidationError } from '@wharf/contracts';
import type { DomainEvent } from '@wharf/runtime';
import type { PlacedChunk } from './chunk-layout.js';

/** Why an upload ended without an artifact. */
export type DiscardReason = 'deleted' | 'expired' | 'digest-mismatch';

export interface Upload {
  readonly uploadId: string;
  readonly size: number;
  /** The blob store's multipart session holding the parts. */
  readonly blobUploadId: string;
  readonly partSize: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Received chunks in offset order; a chunk sent again replaces the one with the same range. */
  readonly chunks: readonly PlacedChunk[];
  readonly status: 'open' | 'committed' | 'discarded';
  readonly artifactId?: string;
  readonly discardReason?: DiscardReason;
}

export type UploadEvent =
  | {
      type: 'UploadCreated';
      data: { uploadId: string; size: number; blobUploadId: string; partSize: number; at: string };
    }
  | { type: 'UploadChunkReceived'; data: { uploadId: string; chunk: PlacedChunk; at: string } }
  | { type: 'UploadCommitted'; data: { uploadId: string; artifactId: string; at: string } }
  | { type: 'UploadDiscarded'; data: { uploadId: string; reason: DiscardReason; at: string } };

export type UploadCommand =
  | {
      type: 'CreateUpload';
      uploadId: string;
      size: number;
      blobUploadId: string;
      partSize: number;
      at: string;
    }
  | { type: 'RecordChunk'; uploadId: string; chunk: PlacedChunk; at: string }
  | { type: 'CommitUpload'; uploadId: string; artifactId: string; at: string }
  | { type: 'DiscardUpload'; uploadId: string; reason: DiscardReason; at: string };

const UPLOAD_EVENT_TYPES = new Set<string>([
  'UploadCreated',
  'UploadChunkReceived',
  'UploadCommitted',
  'UploadDiscarded',
]);

export function isUploadEvent(event: DomainEvent): event is UploadEvent {
  return UPLOAD_EVENT_TYPES.has(event.type);
}

export class UploadClosedError extends ConflictError {
  constructor(upload: Upload) {
    super(
      upload.status === 'committed'
        ? `upload ${upload.uploadId} is already committed`
        : `upload ${upload.uploadId} was discarded (${upload.discardReason})`,
    );
  }
}

/** Pure rules of one upload session; chunk placement itself is checked before the bytes are written. */
export function decideUpload(command: UploadCommand, state: Upload | undefined): UploadEvent[] {
  switch (command.type) {
    case 'CreateUpload': {
      if (state) return [];
      if (!Number.isSafeInteger(command.size) || command.size <= 0) {
        throw new ValidationError({ size: ['Ensure this value is a whole number greater than 0.'] });
      }
      const { uploadId, size, blobUploadId, partSize, at } = command;
      return [{ type: 'UploadCreated', data: { uploadId, size, blobUploadId, partSize, at } }];
    }
    case 'RecordChunk':
      if (!state) throw new Error(`upload ${command.uploadId} does not exist`);
      if (state.status !== 'open') throw new UploadClosedError(state);
      return [
        {
          type: 'UploadChunkReceived',
          data: { uploadId: command.uploadId, chunk: command.chunk, at: command.at },
        },
      ];
    case 'CommitUpload':
      if (!state) throw new Error(`upload ${command.uploadId} does not exist`);
      if (state.status === 'committed') return [];
      if (state.status !== 'open') throw new UploadClosedError(state);
      return [
        {
          type: 'UploadCommitted',
          data: { uploadId: command.uploadId, artifactId: command.artifactId, at: command.at },
        },
      ];
    case 'DiscardUpload':
      if (!state || state.status !== 'open') return [];
      return [
        {
          type: 'UploadDiscarded',
          data: { uploadId: command.uploadId, reason: command.reason, at: command.at },
        },
      ];
  }
}

export function evolveUpload(state: Upload | undefined, event: UploadEvent): Upload | undefined {
  switch (event.type) {
    case 'UploadCreated': {
      const { uploadId, size, blobUploadId, partSize, at } = event.data;
      return {
        uploadId,
        size,
        blobUploadId,
        partSize,
        createdAt: at,
        updatedAt: at,
        chunks: [],
        status: 'open',
      };
    }
    case 'UploadChunkReceived': {
      if (!state) return state;
      const { chunk, at } = event.data;
      const others = state.chunks.filter((c) => c.start !== chunk.start);
      return {
        ...state,
        updatedAt: at,
        chunks: [...others, chunk].sort((a, b) => a.start - b.start),
      };
    }
    case 'UploadCommitted':
      return (
        state && {
          ...state,
          status: 'committed',
          artifactId: event.data.artifactId,
          updatedAt: event.data.at,
        }
      );
    case 'UploadDiscarded':
      return (
        state && { ...state, status: 'discarded', discardReason: event.data.reason, updatedAt: event.data.at }
      );
  }
}
