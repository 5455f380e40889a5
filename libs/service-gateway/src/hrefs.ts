/** Pulp-style relative hrefs; every href begins /pulp/api/v3/ and ends with a slash. */
export const API_ROOT = '/pulp/api/v3/';
export const REPOSITORIES_PATH = 'repositories/container/container/';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function repositoryHref(id: string): string {
  return `${API_ROOT}${REPOSITORIES_PATH}${id}/`;
}

export function repositoryVersionHref(id: string, version: number): string {
  return `${repositoryHref(id)}versions/${version}/`;
}
