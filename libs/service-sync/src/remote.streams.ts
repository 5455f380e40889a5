import { Injectable } from '@nestjs/common';
import { EventStore } from '@wharf/ports';
import { AggregateStreams } from '@wharf/runtime';
import {
  decideRemote,
  evolveRemote,
  initialRemoteState,
  isRemoteEvent,
  type RemoteCommand,
  type RemoteEvent,
  type RemoteState,
} from '@wharf/domain-remote';
import { REMOTE_STREAM_PREFIX } from './remote-directory.projection.js';

/** Remote commands against their streams (`remote-<id>`), with retry on a concurrent append. */
@Injectable()
export class RemoteStreams extends AggregateStreams<RemoteState, RemoteCommand, RemoteEvent> {
  constructor(store: EventStore) {
    super(store, {
      streamPrefix: REMOTE_STREAM_PREFIX,
      initial: initialRemoteState,
      evolve: evolveRemote,
      decide: decideRemote,
      isEvent: isRemoteEvent,
    });
  }
}
