export * from './sync.module.js';
export { SYNC_TASK, type SyncTaskPayload } from './sync-task.payload.js';
