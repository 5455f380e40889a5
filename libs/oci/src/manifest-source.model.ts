/** The bytes a manifest was parsed from, with their digest and the media type they were recognized as. */
export interface ManifestSource {
  readonly bytes: Uint8Array;
  readonly digest: string;
  readonly mediaType: string;
}
