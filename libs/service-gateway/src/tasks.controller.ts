import { Body, Controller, Get, NotFoundException, Param, Patch, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Equals } from 'class-validator';
import { Queries } from '@wharf/runtime';
import type { TaskView } from '@wharf/contracts';
import { API_ROOT, TASKS_PATH, isUuid, taskHref } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';

const TAGS = ['Tasks'];
const TASK_HREF = 'task_href';

export class TaskCancelBody {
  @Equals('canceled', { message: 'The only allowed state change is to "canceled".' })
  state!: string;
}

/** Pulp's TaskResponse. */
export function taskJson(task: TaskView): Record<string, unknown> {
  return {
    pulp_href: taskHref(task.id),
    prn: `prn:core.task:${task.id}`,
    pulp_created: task.createdAt,
    pulp_last_updated: task.updatedAt,
    state: task.state,
    name: task.name,
    logging_cid: task.id,
    created_by: task.createdBy,
    unblocked_at: task.startedAt,
    started_at: task.startedAt,
    finished_at: task.finishedAt,
    error: task.error,
    worker: task.startedAt ? task.worker : null,
    parent_task: null,
    child_tasks: [],
    task_group: null,
    progress_reports: task.progressReports.map((r) => ({
      message: r.message,
      code: r.code,
      state: r.state,
      total: r.total,
      done: r.done,
      suffix: r.suffix ?? null,
    })),
    created_resources: task.createdResources,
    reserved_resources_record: [
      ...task.exclusiveResources,
      ...task.sharedResources.map((r) => `shared:${r}`),
    ],
    result: task.result ?? null,
  };
}

@Controller(`${API_ROOT.slice(1)}${TASKS_PATH}`)
export class TasksController {
  constructor(private readonly queries: Queries) {}

  @Get()
  @PulpOperation({
    operationId: 'tasks_list',
    summary: 'List tasks',
    tags: TAGS,
    query: [
      ...LIST_PARAMETERS,
      filterParameter('state', 'Only tasks in this state.'),
      {
        ...filterParameter('state__in', 'Only tasks in one of these states.', {
          type: 'array',
          items: { type: 'string' },
        }),
        explode: false,
      },
      filterParameter('name', 'Only tasks of this name.'),
      filterParameter('name__contains', 'Only tasks whose name contains this text.'),
      filterParameter('created_resources', 'Only tasks that created the resource with this href.'),
      filterParameter('reserved_resources', 'Only tasks that reserved this resource.'),
      filterParameter('exclusive_resources', 'Only tasks that reserved this resource exclusively.'),
      filterParameter('shared_resources', 'Only tasks that reserved this resource shared.'),
    ],
    responses: { '200': 'PaginatedTaskResponseList' },
  })
  async list(@Req() request: Request, @Query() query: Record<string, string>): Promise<PulpList<unknown>> {
    const page = pageRequest(query);
    const found = await this.queries.ask('tasks.list', {
      state: query.state,
      stateIn: query.state__in ? query.state__in.split(',') : undefined,
      name: query.name,
      nameContains: query.name__contains,
      createdResource: query.created_resources,
      reservedResource: query.reserved_resources ?? query.exclusive_resources ?? query.shared_resources,
      ...page,
    });
    return pulpList(request, page, found.count, found.results.map(taskJson));
  }

  @Get(':id')
  @PulpOperation({
    operationId: 'tasks_read',
    summary: 'Inspect a task',
    tags: TAGS,
    href: TASK_HREF,
    responses: { '200': 'TaskResponse', '404': 'ErrorDetailResponse' },
  })
  async read(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    return taskJson(await this.queries.ask('tasks.get', { id }));
  }

  /** Pulp cancels with `PATCH {"state": "canceled"}`. */
  @Patch(':id')
  @PulpOperation({
    operationId: 'tasks_cancel',
    summary: 'Cancel a task',
    tags: TAGS,
    href: TASK_HREF,
    requestBody: 'PatchedTaskCancel',
    responses: {
      '200': 'TaskResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
      '409': 'ErrorDetailResponse',
    },
  })
  async cancel(@Param('id') id: string, @Body() _body: TaskCancelBody): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    return taskJson(await this.queries.ask('tasks.cancel', { id }));
  }
}
