import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BlobStore, UploadNotFoundError } from '@wharf/ports';
import { Infrastructure } from '@wharf/runtime';

/** Bounds on how often the sweep runs: often enough for short expiries, never a busy loop. */
const MIN_SWEEP_INTERVAL_MS = 250;
const MAX_SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Aborts abandoned registry upload sessions, so their parts do not fill the blob store. A registry session
 * is nothing but a blob-store session (ADR 0010), so the sweep aborts every blob-store session older than
 * WHARF_UPLOAD_EXPIRY_HOURS and half as long again. The extra half is for REST uploads, whose sessions sit in
 * the same blob store: the upload service expires those itself within a quarter of the expiry, so by then
 * any REST session this finds is one that service has already given up.
 */
@Injectable()
export class RegistryUploadSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('registry-upload-expiry');
  private readonly maxAgeMs: number;
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly blobs: BlobStore,
    infrastructure: Infrastructure,
  ) {
    const expiryMs = infrastructure.settings.uploadExpiryMs;
    this.maxAgeMs = expiryMs * 1.5;
    this.intervalMs = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, expiryMs / 4));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async sweep(now = new Date()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      const stale = await this.blobs.listUploads(new Date(now.getTime() - this.maxAgeMs));
      for (const session of stale) {
        await this.blobs.abortUpload(session.uploadId).catch((error: unknown) => {
          if (!(error instanceof UploadNotFoundError)) throw error;
        });
      }
      if (stale.length > 0) this.logger.log(`aborted ${stale.length} abandoned upload session(s)`);
      return stale.length;
    } catch (error) {
      this.logger.warn(`sweeping abandoned upload sessions failed: ${(error as Error).message}`);
      return 0;
    } finally {
      this.sweeping = false;
    }
  }
}
