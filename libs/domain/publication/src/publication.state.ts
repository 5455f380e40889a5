import type { PublicationCreatedData, PublicationEvent } from './publication.events.js';

export interface Publication extends PublicationCreatedData {
  readonly deleted: boolean;
}

/** Folds one publication's events; undefined before its PublicationCreated. */
export function evolvePublication(
  publication: Publication | undefined,
  event: PublicationEvent,
): Publication | undefined {
  switch (event.type) {
    case 'PublicationCreated':
      return { ...event.data, deleted: false };
    case 'PublicationDeleted':
      return publication && { ...publication, deleted: true };
  }
}
