import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { IsInt, IsOptional, Min } from 'class-validator';
import type { ContentTaskPayload } from '@wharf/contracts';
import { API_ROOT } from './hrefs.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';

/** Pulp's default: content younger than a day is never an orphan (a sync or upload may be about to add it). */
const DEFAULT_PROTECTION_MINUTES = 24 * 60;

export class OrphansCleanupBody {
  @IsOptional()
  @IsInt()
  @Min(0)
  orphan_protection_time?: number;
}

@Controller(`${API_ROOT.slice(1)}orphans/cleanup`)
export class OrphansController {
  constructor(private readonly tasks: TaskDispatcher) {}

  /**
   * Deletes content in no repository version, and its bytes, once older than the protection time. It holds
   * every repository (Pulp reserves "/pulp/api/v3/orphans/cleanup/" the same way) so no write races it.
   */
  @Post()
  @HttpCode(202)
  @PulpOperation({
    operationId: 'orphans_cleanup_cleanup',
    summary: 'Delete content that no repository version holds',
    tags: ['Orphans'],
    requestBody: 'OrphansCleanup',
    responses: { '202': 'AsyncOperationResponse', '400': 'ValidationErrorResponse' },
  })
  cleanup(@Body() body: OrphansCleanupBody): Promise<AsyncOperationResponse> {
    const minutes = body.orphan_protection_time ?? DEFAULT_PROTECTION_MINUTES;
    const payload: ContentTaskPayload<'content.orphans.cleanup'> = {
      operation: 'content.orphans.cleanup',
      request: { protectionTimeMs: minutes * 60_000 },
    };
    return this.tasks.dispatch({
      name: 'pulpcore.app.tasks.orphan.orphan_cleanup',
      worker: 'content',
      payload,
      exclusiveResources: [`${API_ROOT}orphans/cleanup/`],
    });
  }
}
