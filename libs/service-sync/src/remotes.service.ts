import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type {
  ListRemotesRequest,
  Page,
  PrepareRemoteUpdateRequest,
  RemoteCredentials,
  RemoteDeleteTaskPayload,
  RemoteInput,
  RemoteUpdateTaskPayload,
  RemoteView,
} from '@wharf/contracts';
import {
  decideRemote,
  initialRemoteState,
  isLive,
  parseRemoteInput,
  RemoteNotFoundError,
  REQUIRED_REMOTE_FIELDS,
  type CreateRemote,
  type RemoteState,
  type UpdateRemote,
} from '@wharf/domain-remote';
import { RemoteCredentialSealer } from './remote-credentials.sealer.js';
import { RemoteDirectory, toRemoteView } from './remote-directory.projection.js';
import { RemoteNames } from './remote-names.js';
import { RemoteStreams } from './remote.streams.js';

/**
 * Remote lifecycle, between the bus and the remote streams. Every write takes the same path: check the
 * client's fields (so sealing only ever sees strings), seal the credentials, decide on the current state
 * once without appending (so a refused request leaves no name claim behind), claim the name when it is new,
 * then append.
 */
@Injectable()
export class RemotesService {
  constructor(
    private readonly streams: RemoteStreams,
    private readonly names: RemoteNames,
    private readonly directory: RemoteDirectory,
    private readonly sealer: RemoteCredentialSealer,
  ) {}

  async create(input: RemoteInput, at: Date): Promise<RemoteView> {
    const fields = parseRemoteInput(input, REQUIRED_REMOTE_FIELDS);
    const command: CreateRemote = {
      type: 'CreateRemote',
      remoteId: randomUUID(),
      fields: this.sealer.seal(fields),
      at: at.toISOString(),
    };
    decideRemote(command, initialRemoteState);
    const { state, lastGlobalPosition } = await this.names.claim(fields.name!, command.remoteId, () =>
      this.streams.execute(command.remoteId, command),
    );
    await this.directory.caughtUp(lastGlobalPosition);
    return toRemoteView(state);
  }

  get(id: string): RemoteView {
    const remote = this.directory.get(id);
    if (!remote) throw new RemoteNotFoundError(id);
    return toRemoteView(remote);
  }

  list(request: ListRemotesRequest): Page<RemoteView> {
    return this.directory.list(request);
  }

  /**
   * Validates an update against the remote as it is now and seals its credentials, so that the gateway
   * answers a bad request with a 400 at once and the task it dispatches carries nothing in clear. The task
   * decides again when it runs (the remote may have changed in between).
   */
  async prepareUpdate(request: PrepareRemoteUpdateRequest, at: Date): Promise<RemoteUpdateTaskPayload> {
    const state = await this.live(request.id);
    const changes = this.sealer.seal(parseRemoteInput(request.input));
    const command = this.updateCommand({ remoteId: request.id, changes, partial: request.partial }, at);
    decideRemote(command, state);
    if (isRename(state, changes)) await this.names.assertAvailable(changes.name!, request.id);
    return { remoteId: request.id, changes, partial: request.partial };
  }

  /** Runs an update task; running it again changes nothing more. */
  async update(payload: RemoteUpdateTaskPayload, at: Date): Promise<void> {
    const command = this.updateCommand(payload, at);
    const state = await this.live(payload.remoteId);
    decideRemote(command, state);
    const execute = () => this.streams.execute(payload.remoteId, command);
    const { lastGlobalPosition } = isRename(state, payload.changes)
      ? await this.names.claim(payload.changes.name!, payload.remoteId, execute)
      : await execute();
    await this.directory.caughtUp(lastGlobalPosition);
  }

  /** Runs a delete task; a remote deleted already (the task ran before a crash) stays deleted. */
  async delete(payload: RemoteDeleteTaskPayload, at: Date): Promise<void> {
    const { lastGlobalPosition } = await this.streams.execute(payload.remoteId, {
      type: 'DeleteRemote',
      remoteId: payload.remoteId,
      at: at.toISOString(),
    });
    await this.directory.caughtUp(lastGlobalPosition);
  }

  /** The remote's credentials in clear, for downloads; see `remote.credentials` in the contracts. */
  async credentials(id: string): Promise<RemoteCredentials> {
    return this.sealer.open((await this.live(id)).fields);
  }

  private async live(id: string): Promise<RemoteState> {
    const { state } = await this.streams.load(id);
    if (!isLive(state)) throw new RemoteNotFoundError(id);
    return state;
  }

  private updateCommand(payload: RemoteUpdateTaskPayload, at: Date): UpdateRemote {
    return {
      type: 'UpdateRemote',
      remoteId: payload.remoteId,
      changes: payload.changes,
      partial: payload.partial,
      at: at.toISOString(),
    };
  }
}

function isRename(state: RemoteState, changes: RemoteInput): boolean {
  return changes.name !== undefined && changes.name !== state.fields.name;
}
