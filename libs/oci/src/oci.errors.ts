/** A string that is not a digest Wharf can verify (see `parseDigest`). */
export class InvalidDigestError extends Error {
  override readonly name = 'InvalidDigestError';
  constructor(
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(value)} is not a digest: ${reason}`);
  }
}

/**
 * A manifest that cannot be accepted. `field` names the JSON path at fault (`layers[2].digest`), or is empty
 * when the document as a whole is wrong (too large, not JSON), so the message points at what to fix.
 */
export class ManifestInvalidError extends Error {
  override readonly name = 'ManifestInvalidError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field || 'manifest'}: ${reason}`);
  }
}

/** An image config blob that is not a JSON object. */
export class ImageConfigInvalidError extends Error {
  override readonly name = 'ImageConfigInvalidError';
  constructor(readonly reason: string) {
    super(`image config: ${reason}`);
  }
}
