import type { RemoteFields } from '@wharf/contracts';
import type { RemoteEvent } from './remote.events.js';
import { REMOTE_DEFAULTS } from './remote.fields.js';

/** A remote as deciding needs it: every field (credentials sealed) and whether it lives. */
export interface RemoteState {
  readonly exists: boolean;
  readonly deleted: boolean;
  readonly remoteId: string;
  readonly fields: RemoteFields;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const initialRemoteState: RemoteState = {
  exists: false,
  deleted: false,
  remoteId: '',
  fields: { name: '', url: '', upstreamName: '', ...REMOTE_DEFAULTS },
  createdAt: '',
  updatedAt: '',
};

export function evolveRemote(state: RemoteState, event: RemoteEvent): RemoteState {
  switch (event.type) {
    case 'RemoteCreated': {
      const { remoteId, createdAt, ...fields } = event.data;
      return { exists: true, deleted: false, remoteId, fields, createdAt, updatedAt: createdAt };
    }
    case 'RemoteUpdated':
      return {
        ...state,
        fields: { ...state.fields, ...event.data.changes },
        updatedAt: event.data.updatedAt,
      };
    case 'RemoteDeleted':
      return { ...state, deleted: true, updatedAt: event.data.deletedAt };
  }
}

/** Whether the remote exists and was not deleted. */
export function isLive(state: RemoteState): boolean {
  return state.exists && !state.deleted;
}
