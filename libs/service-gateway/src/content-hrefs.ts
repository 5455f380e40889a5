import { blobKey, manifestKey, parseUnitKey, tagKey, type UnitKey, type UnitType } from '@wharf/contracts';
import { API_ROOT } from './hrefs.js';

/**
 * Content hrefs name units by what they are, not by a surrogate id: `content/container/blobs/sha256:<hex>/`,
 * `…/manifests/sha256:<hex>/`, `…/tags/<name>@sha256:<hex>/`. Units are content-addressed, so the href is as
 * stable as Pulp's UUID would be, and turning it back into a unit key needs no lookup. Clients treat hrefs as
 * opaque, which is all Pulp's bindings do with them.
 */
export const CONTENT_PATHS: Readonly<Record<UnitType, string>> = {
  blob: 'content/container/blobs/',
  manifest: 'content/container/manifests/',
  tag: 'content/container/tags/',
};

export const PULP_CONTENT_TYPES: Readonly<Record<UnitType, string>> = {
  blob: 'container.blob',
  manifest: 'container.manifest',
  tag: 'container.tag',
};

export function unitHref(key: UnitKey): string {
  const unit = parseUnitKey(key);
  const id = unit.type === 'tag' ? `${unit.name}@${unit.digest}` : unit.digest;
  return `${API_ROOT}${CONTENT_PATHS[unit.type]}${id}/`;
}

/** The unit key an href names, or undefined when it is not a content href. */
export function unitKeyFromHref(href: string): UnitKey | undefined {
  for (const type of ['blob', 'manifest', 'tag'] as const) {
    const prefix = `${API_ROOT}${CONTENT_PATHS[type]}`;
    if (!href.startsWith(prefix) || !href.endsWith('/')) continue;
    return unitKeyFromId(type, decodeURIComponent(href.slice(prefix.length, -1)));
  }
  return undefined;
}

export function unitKeyFromId(type: UnitType, id: string): UnitKey | undefined {
  const digest = /^sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})$/;
  if (type === 'tag') {
    const at = id.lastIndexOf('@');
    if (at <= 0 || !digest.test(id.slice(at + 1))) return undefined;
    return tagKey(id.slice(0, at), id.slice(at + 1));
  }
  if (!digest.test(id)) return undefined;
  return type === 'blob' ? blobKey(id) : manifestKey(id);
}
