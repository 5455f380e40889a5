import { describe, expect, it } from 'vitest';
import {
  decidePublication,
  evolvePublication,
  InvalidRepositoryVersionError,
  PublicationAlreadyExistsError,
  PublicationNotFoundError,
  type Publication,
  type PublicationCommand,
  type PublicationEvent,
} from './index.js';

const AT = '2026-12-04T12:00:00.000Z';
const LATER = '2026-12-04T13:00:00.000Z';

const created: PublicationEvent = {
  type: 'PublicationCreated',
  data: { publicationId: 'p1', repositoryId: 'r1', repositoryVersion: 3, createdAt: AT },
};
const deleted: PublicationEvent = {
  type: 'PublicationDeleted',
  data: { publicationId: 'p1', deletedAt: LATER },
};

const create = (repositoryVersion = 3, repositoryId = 'r1'): PublicationCommand => ({
  type: 'CreatePublication',
  publicationId: 'p1',
  repositoryId,
  repositoryVersion,
  at: AT,
});
const remove: PublicationCommand = { type: 'DeletePublication', publicationId: 'p1', at: LATER };

/** given(events).when(command) → the events decided, or the error thrown. */
function given(...events: PublicationEvent[]) {
  const publication = events.reduce<Publication | undefined>(evolvePublication, undefined);
  return {
    publication,
    when: (command: PublicationCommand) => ({
      then: (expected: PublicationEvent[]) =>
        expect(decidePublication(command, publication)).toEqual(expected),
      thenFails: (error: new (...args: never[]) => Error) =>
        expect(() => decidePublication(command, publication)).toThrow(error),
    }),
  };
}

describe('publication', () => {
  it('is created for one repository version, with the time the command brings', () => {
    given().when(create()).then([created]);
    expect(given(created).publication).toEqual({ ...created.data, deleted: false });
  });

  it('may publish version 0, the empty version every repository has', () => {
    given()
      .when(create(0))
      .then([{ ...created, data: { ...created.data, repositoryVersion: 0 } }]);
  });

  it('refuses a version that is not a whole non-negative number, naming repository_version', () => {
    given().when(create(-1)).thenFails(InvalidRepositoryVersionError);
    given().when(create(1.5)).thenFails(InvalidRepositoryVersionError);
    expect(() => decidePublication(create(-1), undefined)).toThrow(/repository_version/);
  });

  it('decides nothing when the same create runs again (a task re-run after a crash)', () => {
    given(created).when(create()).then([]);
  });

  it('never changes: a create under its id with other content is refused', () => {
    given(created).when(create(4)).thenFails(PublicationAlreadyExistsError);
    given(created).when(create(3, 'r2')).thenFails(PublicationAlreadyExistsError);
    given(created, deleted).when(create()).thenFails(PublicationAlreadyExistsError);
  });

  it('is deleted once; deleting it again decides nothing', () => {
    given(created).when(remove).then([deleted]);
    expect(given(created, deleted).publication?.deleted).toBe(true);
    given(created, deleted).when(remove).then([]);
  });

  it('cannot delete a publication that never existed', () => {
    given().when(remove).thenFails(PublicationNotFoundError);
  });
});
