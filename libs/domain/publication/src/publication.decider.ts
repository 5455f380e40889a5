import type { PublicationEvent } from './publication.events.js';
import {
  InvalidRepositoryVersionError,
  PublicationAlreadyExistsError,
  PublicationNotFoundError,
} from './publication.errors.js';
import type { Publication } from './publication.state.js';

export type PublicationCommand =
  | {
      readonly type: 'CreatePublication';
      readonly publicationId: string;
      readonly repositoryId: string;
      readonly repositoryVersion: number;
      readonly at: string;
    }
  | { readonly type: 'DeletePublication'; readonly publicationId: string; readonly at: string };

/**
 * Decides a publication command. Publications are immutable snapshots: created once, then only deleted.
 * Tasks may run again after a crash, so repeating a create that already happened, or a delete, decides
 * nothing instead of failing. Pure: time and ids come with the command.
 */
export function decidePublication(
  command: PublicationCommand,
  publication: Publication | undefined,
): PublicationEvent[] {
  switch (command.type) {
    case 'CreatePublication': {
      if (!Number.isInteger(command.repositoryVersion) || command.repositoryVersion < 0) {
        throw new InvalidRepositoryVersionError(command.repositoryVersion);
      }
      if (publication) {
        if (isSameCreation(publication, command)) return [];
        throw new PublicationAlreadyExistsError(command.publicationId);
      }
      return [
        {
          type: 'PublicationCreated',
          data: {
            publicationId: command.publicationId,
            repositoryId: command.repositoryId,
            repositoryVersion: command.repositoryVersion,
            createdAt: command.at,
          },
        },
      ];
    }
    case 'DeletePublication':
      if (!publication) throw new PublicationNotFoundError(command.publicationId);
      return publication.deleted
        ? []
        : [
            {
              type: 'PublicationDeleted',
              data: { publicationId: command.publicationId, deletedAt: command.at },
            },
          ];
  }
}

function isSameCreation(
  publication: Publication,
  command: Extract<PublicationCommand, { type: 'CreatePublication' }>,
): boolean {
  return (
    !publication.deleted &&
    publication.repositoryId === command.repositoryId &&
    publication.repositoryVersion === command.repositoryVersion
  );
}
