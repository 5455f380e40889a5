import { Injectable } from '@nestjs/common';
import { EventStore } from '@wharf/ports';
import { AggregateStreams } from '@wharf/runtime';
import {
  decideDistribution,
  evolveDistribution,
  isDistributionEvent,
  type Distribution,
  type DistributionCommand,
  type DistributionEvent,
} from '@wharf/domain-distribution';

/** Stream `distribution-<id>` per distribution; on the bus its events are `events.distribution.<Type>`. */
export const DISTRIBUTION_STREAM_PREFIX = 'distribution-';

@Injectable()
export class DistributionStreams extends AggregateStreams<
  Distribution | undefined,
  DistributionCommand,
  DistributionEvent
> {
  constructor(store: EventStore) {
    super(store, {
      streamPrefix: DISTRIBUTION_STREAM_PREFIX,
      initial: undefined,
      evolve: evolveDistribution,
      decide: decideDistribution,
      isEvent: isDistributionEvent,
    });
  }
}
