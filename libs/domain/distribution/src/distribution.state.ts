import type { DistributionCreatedData, DistributionEvent } from './distribution.events.js';

export interface Distribution extends DistributionCreatedData {
  readonly updatedAt: string;
  readonly deleted: boolean;
}

/** Folds one distribution's events; undefined before its DistributionCreated. */
export function evolveDistribution(
  distribution: Distribution | undefined,
  event: DistributionEvent,
): Distribution | undefined {
  switch (event.type) {
    case 'DistributionCreated':
      return { ...event.data, updatedAt: event.data.createdAt, deleted: false };
    case 'DistributionUpdated':
      return distribution && { ...distribution, ...event.data.changes, updatedAt: event.data.updatedAt };
    case 'DistributionDeleted':
      return distribution && { ...distribution, deleted: true, updatedAt: event.data.deletedAt };
  }
}
