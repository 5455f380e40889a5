import type { DistributionSettings } from './distribution.model.js';

export interface DistributionCreatedData extends DistributionSettings {
  readonly distributionId: string;
  readonly createdAt: string;
}

export interface DistributionUpdatedData {
  /** Only the settings that actually changed, with their new values. */
  readonly changes: Partial<DistributionSettings>;
  readonly updatedAt: string;
}

export interface DistributionDeletedData {
  readonly deletedAt: string;
}

/** Events of one distribution's stream, `{ type, data }` with JSON data as the event store keeps them. */
export type DistributionEvent =
  | { readonly type: 'DistributionCreated'; readonly data: DistributionCreatedData }
  | { readonly type: 'DistributionUpdated'; readonly data: DistributionUpdatedData }
  | { readonly type: 'DistributionDeleted'; readonly data: DistributionDeletedData };

export const DISTRIBUTION_EVENT_TYPES: readonly DistributionEvent['type'][] = [
  'DistributionCreated',
  'DistributionUpdated',
  'DistributionDeleted',
];

export function isDistributionEvent(event: {
  readonly type: string;
  readonly data: unknown;
}): event is DistributionEvent {
  return (DISTRIBUTION_EVENT_TYPES as readonly string[]).includes(event.type);
}
