/**
 * Names from the OCI distribution spec. A tag is what follows `:` in a reference, a repository name is the
 * path in `/v2/<name>/manifests/<reference>`; both appear in URLs, so anything outside these grammars would
 * make an image unreachable by clients.
 */
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

// One path component: lowercase alphanumerics, joined by '.', '_', '__' or runs of '-'.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY_NAME = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);

/** Distribution limits the whole name (all components and slashes) to 255 characters. */
export const MAX_REPOSITORY_NAME_LENGTH = 255;

export function isValidTag(name: string): boolean {
  return TAG.test(name);
}

export function isValidRepositoryName(name: string): boolean {
  return name.length <= MAX_REPOSITORY_NAME_LENGTH && REPOSITORY_NAME.test(name);
}
