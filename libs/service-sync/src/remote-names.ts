import { Injectable } from '@nestjs/common';
import { EventStore } from '@wharf/ports';
import { UniqueNames } from '@wharf/runtime';
import { RemoteDirectory } from './remote-directory.projection.js';

/** Remote names are unique among live remotes; claims live in `remotename-<name>` streams. */
@Injectable()
export class RemoteNames extends UniqueNames {
  constructor(store: EventStore, directory: RemoteDirectory) {
    super(store, {
      claimStreamPrefix: 'remotename-',
      claimEventType: 'RemoteNameClaimed',
      holderField: 'remoteId',
      isHeldBy: (remoteId, name) => directory.holds(remoteId, name),
    });
  }
}
