import { Injectable } from '@nestjs/common';
import { Queries } from '@wharf/runtime';
import type { DispatchTaskRequest } from '@wharf/contracts';
import { taskHref } from './hrefs.js';

/** Pulp's answer to every long operation: 202 with `{"task": href}`. */
export interface AsyncOperationResponse {
  readonly task: string;
}

@Injectable()
export class TaskDispatcher {
  constructor(private readonly queries: Queries) {}

  async dispatch(request: DispatchTaskRequest): Promise<AsyncOperationResponse> {
    const task = await this.queries.ask('tasks.dispatch', request);
    return { task: taskHref(task.id) };
  }
}
