/** What the content service tells others about a repository (the gateway shapes it into Pulp's JSON). */
export interface RepositoryView {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly retainRepoVersions: number | null;
  /** Id of the repository's default remote, if any. */
  readonly remote: string | null;
  readonly latestVersion: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CreateRepositoryRequest {
  readonly name: string;
  readonly description?: string | null;
  readonly retainRepoVersions?: number | null;
  readonly remote?: string | null;
}

export interface UpdateRepositoryRequest {
  readonly id: string;
  /** Only the settings to change. */
  readonly changes: {
    readonly name?: string;
    readonly description?: string | null;
    readonly retainRepoVersions?: number | null;
    readonly remote?: string | null;
  };
}

export interface ListRepositoriesRequest {
  readonly name?: string;
  readonly nameContains?: string;
  readonly nameStartsWith?: string;
  readonly offset: number;
  readonly limit: number;
}

export interface Page<T> {
  readonly count: number;
  readonly results: readonly T[];
}

/**
 * Hrefs that services record (a task's created_resources) and the gateway serves; Pulp's shape, relative to
 * the server.
 */
export function repositoryHref(repositoryId: string): string {
  return `/pulp/api/v3/repositories/container/container/${repositoryId}/`;
}

export function repositoryVersionHref(repositoryId: string, version: number): string {
  return `${repositoryHref(repositoryId)}versions/${version}/`;
}
