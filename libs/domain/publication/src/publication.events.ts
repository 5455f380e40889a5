import type { PublicationDeletedEventData } from '@wharf/contracts';

export interface PublicationCreatedData {
  readonly publicationId: string;
  readonly repositoryId: string;
  /** The repository version the publication serves, for good: publications never change. */
  readonly repositoryVersion: number;
  readonly createdAt: string;
}

/** Published to other services as it is (see PublicationDeletedEventData), so it names the publication. */
export type PublicationDeletedData = PublicationDeletedEventData;

/** Events of one publication's stream, `{ type, data }` with JSON data as the event store keeps them. */
export type PublicationEvent =
  | { readonly type: 'PublicationCreated'; readonly data: PublicationCreatedData }
  | { readonly type: 'PublicationDeleted'; readonly data: PublicationDeletedData };

export const PUBLICATION_EVENT_TYPES: readonly PublicationEvent['type'][] = [
  'PublicationCreated',
  'PublicationDeleted',
];

export function isPublicationEvent(event: {
  readonly type: string;
  readonly data: unknown;
}): event is PublicationEvent {
  return (PUBLICATION_EVENT_TYPES as readonly string[]).includes(event.type);
}
