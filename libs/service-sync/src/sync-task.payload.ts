/**
 * The sync task as the gateway dispatches it to the sync worker. Kept here rather than in the contracts
 * because only the gateway's `sync/` action and this service read it; the gateway builds the same shape.
 */
export const SYNC_TASK = 'pulp_container.app.tasks.synchronize';

export interface SyncTaskPayload {
  readonly repositoryId: string;
  readonly remoteId: string;
  /** True: the new version holds exactly the upstream tags; false: upstream tags are added to what is there. */
  readonly mirror: boolean;
}
