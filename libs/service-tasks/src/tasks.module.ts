import { Module } from '@nestjs/common';
import { eventSourcedOwner } from '@wharf/runtime';
import { TaskBoard } from './task-board.projection.js';
import { TasksService } from './tasks.service.js';
import { TasksQueriesHandler } from './tasks-queries.handler.js';

/** The task registry. It runs in the content service's process (and in the all-in-one). */
@Module({ providers: [...eventSourcedOwner('tasks'), TaskBoard, TasksService, TasksQueriesHandler] })
export class TasksModule {}
