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
