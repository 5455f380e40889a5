import { MediaType } from '@wharf/oci';

/**
 * Whether a manifest stored as `mediaType` may be served to a client whose `Accept` header is `accept`.
 * Wharf serves stored bytes verbatim and never converts, so this only decides between serving them and
 * MANIFEST_UNKNOWN, as distribution (v3) does:
 *
 * - By digest, the stored manifest is always served: the client named those exact bytes.
 * - By tag, an OCI image manifest or OCI index is served only to clients that list its type, so that an old
 *   Docker client that cannot read OCI gets "manifest unknown" rather than a document it misreads. No
 *   `Accept` header at all counts as listing nothing; `*` / `*` (any type) lists everything.
 * - Docker schema 2 manifests and schema 1 are served whatever the header says. (Distribution serves an old
 *   client that lacks manifest-list support the linux/amd64 entry of a Docker manifest list instead of the
 *   list; Wharf serves the list, as every client of the last years reads lists.)
 */
export function mayServeManifest(mediaType: string, accept: string | undefined, byDigest: boolean): boolean {
  if (byDigest) return true;
  if (mediaType !== MediaType.OciManifest && mediaType !== MediaType.OciIndex) return true;
  const accepted = acceptedTypes(accept);
  return accepted.has(mediaType) || accepted.has('*/*');
}

function acceptedTypes(accept: string | undefined): Set<string> {
  const types = new Set<string>();
  for (const entry of (accept ?? '').split(',')) {
    const type = entry.split(';')[0]!.trim().toLowerCase();
    if (type) types.add(type);
  }
  return types;
}
