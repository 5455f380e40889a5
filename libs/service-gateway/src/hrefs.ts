/** Pulp-style relative hrefs; every href begins /pulp/api/v3/ and ends with a slash. */
export const API_ROOT = '/pulp/api/v3/';
export const REPOSITORIES_PATH = 'repositories/container/container/';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

// The repository hrefs are shared with the services that record them in tasks.
export { repositoryHref, repositoryVersionHref } from '@wharf/contracts';

export const TASKS_PATH = 'tasks/';

export function taskHref(id: string): string {
  return `${API_ROOT}${TASKS_PATH}${id}/`;
}

/** The id in an href of the given collection (`/pulp/api/v3/<collection><id>/`), or undefined. */
export function idFromHref(href: string, collectionPath: string): string | undefined {
  const prefix = `${API_ROOT}${collectionPath}`;
  if (!href.startsWith(prefix) || !href.endsWith('/')) return undefined;
  const id = href.slice(prefix.length, -1);
  return isUuid(id) ? id : undefined;
}

/** `{repository id, version}` from a repository version href, or undefined. */
export function versionFromHref(href: string): { repositoryId: string; version: number } | undefined {
  const match =
    /^\/pulp\/api\/v3\/repositories\/container\/container\/([0-9a-f-]{36})\/versions\/(\d+)\/$/.exec(href);
  if (!match || !isUuid(match[1]!)) return undefined;
  return { repositoryId: match[1]!, version: Number(match[2]) };
}
