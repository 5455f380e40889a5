import { Injectable } from '@nestjs/common';
import { EventStore } from '@wharf/ports';
import { AggregateStreams } from '@wharf/runtime';
import {
  decidePublication,
  evolvePublication,
  isPublicationEvent,
  type Publication,
  type PublicationCommand,
  type PublicationEvent,
} from '@wharf/domain-publication';

/** One stream per publication, `publication-<id>`; on the bus its events are `events.publication.<Type>`. */
export const PUBLICATION_STREAM_PREFIX = 'publication-';

@Injectable()
export class PublicationStreams extends AggregateStreams<
  Publication | undefined,
  PublicationCommand,
  PublicationEvent
> {
  constructor(store: EventStore) {
    super(store, {
      streamPrefix: PUBLICATION_STREAM_PREFIX,
      initial: undefined,
      evolve: evolvePublication,
      decide: decidePublication,
      isEvent: isPublicationEvent,
    });
  }
}
