/** Pulp's task states. waiting → running → completed | failed; waiting | running → canceling → canceled. */
export type TaskState = 'waiting' | 'running' | 'completed' | 'failed' | 'canceling' | 'canceled';

export const FINAL_TASK_STATES: readonly TaskState[] = ['completed', 'failed', 'canceled'];

export function isFinal(state: TaskState): boolean {
  return FINAL_TASK_STATES.includes(state);
}

export type { ProgressReport } from '@wharf/contracts';

export interface TaskError {
  readonly description: string;
}
