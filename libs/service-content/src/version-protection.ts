import { Injectable } from '@nestjs/common';
import { Queries } from '@wharf/runtime';

/**
 * Which versions something outside the content service still serves, so that retention never deletes them
 * (Pulp's rule: retain_repo_versions keeps the newest N, plus every version a publication or distribution
 * points at). Publication and distribution will feed it, by answering a bus query or through a projection
 * of their events, by providing another implementation of this class in the content module
 * (`ContentModule.withVersionProtection`). Asked before every change that may prune versions and before an
 * explicit version deletion.
 */
export abstract class VersionProtection {
  abstract protectedVersions(repositoryId: string): Promise<ReadonlySet<number>>;
}

/** Until publication and distribution exist, nothing protects a version. */
@Injectable()
export class NoVersionProtection extends VersionProtection {
  private static readonly NONE: ReadonlySet<number> = new Set();

  override async protectedVersions(): Promise<ReadonlySet<number>> {
    return NoVersionProtection.NONE;
  }
}

/**
 * The production answer: ask the publication service which versions its publications and the distributions
 * serve. When it cannot answer, the question fails and so does the pruning change — keeping a version too
 * long is harmless, deleting a served one is not.
 */
@Injectable()
export class PublishedVersionsProtection extends VersionProtection {
  constructor(private readonly queries: Queries) {
    super();
  }

  override async protectedVersions(repositoryId: string): Promise<ReadonlySet<number>> {
    const { versions } = await this.queries.ask('publication.protected-versions', { repositoryId });
    return new Set(versions.filter((v) => v.repositoryId === repositoryId).map((v) => v.version));
  }
}
