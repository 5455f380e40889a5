import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type StoredEvent } from '@wharf/ports';
import { FoldedDirectory } from '@wharf/runtime';
import type { Page, UploadView } from '@wharf/contracts';
import { evolveUpload, isUploadEvent, type Upload } from './upload.decider.js';
import { UPLOAD_STREAM_PREFIX } from './upload.streams.js';

/**
 * Every upload session, folded from the upload service's log. Open sessions are listed; committed and
 * discarded ones stay folded (a few fields each) so a late chunk or commit is refused with the reason.
 */
@Injectable()
export class UploadDirectory
  extends FoldedDirectory<Upload>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  constructor(store: EventStore) {
    super(store, UPLOAD_STREAM_PREFIX);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  protected fold(upload: Upload | undefined, event: StoredEvent): Upload | undefined {
    return isUploadEvent(event) ? evolveUpload(upload, event) : undefined;
  }

  get(id: string): Upload | undefined {
    return this.states.get(id);
  }

  /** Open sessions, newest first as Pulp lists them. */
  list(offset: number, limit: number): Page<UploadView> {
    const open = this.open().reverse();
    return { count: open.length, results: open.slice(offset, offset + limit).map(toUploadView) };
  }

  /** Open sessions created before `before`: the abandoned ones, when `before` is the expiry horizon. */
  openSince(before: Date): Upload[] {
    return this.open().filter((u) => new Date(u.createdAt) < before);
  }

  private open(): Upload[] {
    return [...this.states.values()].filter((u) => u.status === 'open');
  }
}

export function toUploadView(upload: Upload): UploadView {
  return {
    id: upload.uploadId,
    size: upload.size,
    createdAt: upload.createdAt,
    updatedAt: upload.updatedAt,
    chunks: upload.chunks.map(({ start, end }) => ({ start, end })),
  };
}
