/**
 * Tags that belong to a manifest rather than name an image, spelling its digest `sha256:<hex>` with a dash
 * (tags cannot hold a colon): cosign's signature, attestation and SBOM tags `sha256-<hex>.sig` (`.att`,
 * `.sbom`), and the OCI referrers tag schema `sha256-<hex>`, an index of the manifests whose `subject` it
 * is, kept by registries without the referrers API.
 */
const ATTACHED_TAG = /^(sha256)-([0-9a-f]{64})(?:\.(?:sig|att|sbom))?$/;

/** The digest of the manifest an attached tag belongs to, or undefined for any other tag. */
export function attachedTagSubject(tag: string): string | undefined {
  const match = ATTACHED_TAG.exec(tag);
  return match ? `${match[1]}:${match[2]}` : undefined;
}
