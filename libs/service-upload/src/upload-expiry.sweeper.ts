import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Infrastructure } from '@wharf/runtime';
import { UploadsService } from './uploads.service.js';

/** Bounds on how often the sweep runs: often enough for short expiries, never a busy loop. */
const MIN_SWEEP_INTERVAL_MS = 250;
const MAX_SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Aborts uploads nobody committed within WHARF_UPLOAD_EXPIRY_HOURS, so abandoned parts do not fill the
 * blob store. An upload expires at most a quarter of the expiry late.
 */
@Injectable()
export class UploadExpirySweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('upload-expiry');
  private readonly expiryMs: number;
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly uploads: UploadsService,
    infrastructure: Infrastructure,
  ) {
    this.expiryMs = infrastructure.settings.uploadExpiryMs;
  }

  onApplicationBootstrap(): void {
    const interval = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, this.expiryMs / 4));
    this.timer = setInterval(() => void this.sweep(), interval);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<void> {
    // A slow sweep must not overlap the next tick and abort the same uploads twice.
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = new Date();
      const expired = await this.uploads.expire(new Date(now.getTime() - this.expiryMs), now);
      if (expired > 0) this.logger.log(`aborted ${expired} upload(s) older than ${this.expiryMs} ms`);
    } catch (error) {
      this.logger.warn(`sweeping expired uploads failed: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }
}
