import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Infrastructure } from './infrastructure.js';

const PROBE_TIMEOUT_MS = 2_000;

/**
 * /healthz says the process is alive (Kubernetes restarts it otherwise); /readyz says every dependency answers
 * (Kubernetes stops routing to it otherwise, and routes again when they recover).
 */
@Controller()
export class HealthController {
  constructor(private readonly infrastructure: Infrastructure) {}

  @Get('healthz')
  health(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready(@Res() response: Response): Promise<void> {
    const checks = await Promise.all(
      this.infrastructure.probes.map(async (probe) => {
        try {
          await withTimeout(probe.check(), PROBE_TIMEOUT_MS);
          return [probe.name, 'ok'] as const;
        } catch (error) {
          return [probe.name, `failing: ${(error as Error).message}`] as const;
        }
      }),
    );
    const ready = checks.every(([, state]) => state === 'ok');
    response
      .status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE)
      .json({ status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(checks) });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
