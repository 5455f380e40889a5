import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { metricsRegistry } from './metrics.js';

/** Prometheus scrapes `/metrics` on every process's HTTP port; like the probes, it needs no credentials. */
@Controller()
export class MetricsController {
  @Get('metrics')
  async metrics(@Res() response: Response): Promise<void> {
    const body = await metricsRegistry.metrics();
    response.setHeader('Content-Type', metricsRegistry.contentType);
    response.send(body);
  }
}
