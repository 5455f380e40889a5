import type { Platform } from '@wharf/contracts';
import type { JsonObjectReader } from './json-object.reader.js';
import type { Descriptor } from './parsed-manifest.model.js';

// RFC 6838 restricted names: type "/" subtype, each 1-127 of these characters, starting alphanumeric.
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function readMediaType(reader: JsonObjectReader, key: string): string {
  const value = reader.requiredNonEmptyString(key);
  if (!MEDIA_TYPE.test(value)) throw reader.invalid(key, `not a media type: ${JSON.stringify(value)}`);
  return value;
}

function readOptionalMediaType(reader: JsonObjectReader, key: string): string | undefined {
  return reader.has(key) ? readMediaType(reader, key) : undefined;
}

function readPlatform(reader: JsonObjectReader): Platform {
  const variant = reader.optionalString('variant');
  const osVersion = reader.optionalString('os.version');
  return {
    architecture: reader.requiredString('architecture'),
    os: reader.requiredString('os'),
    ...(variant !== undefined && { variant }),
    ...(osVersion !== undefined && { osVersion }),
  };
}

/** Reads and validates one descriptor; every failure names the descriptor's field path. */
export function readDescriptor(reader: JsonObjectReader): Descriptor {
  const mediaType = readMediaType(reader, 'mediaType');
  const digest = reader.requiredDigest('digest');
  const size = reader.requiredSize('size');
  const urls = reader.optionalStringArray('urls');
  const annotations = reader.has('annotations') ? reader.stringMap('annotations') : undefined;
  const artifactType = readOptionalMediaType(reader, 'artifactType');
  const platformReader = reader.optionalObject('platform');
  // Embedded content is optional and unused by Wharf; it only has to be the base64 string the spec defines.
  reader.optionalString('data');
  return {
    mediaType,
    digest,
    size,
    ...(urls !== undefined && { urls }),
    ...(annotations !== undefined && { annotations }),
    ...(artifactType !== undefined && { artifactType }),
    ...(platformReader !== undefined && { platform: readPlatform(platformReader) }),
  };
}

export function readOptionalArtifactType(reader: JsonObjectReader): string | undefined {
  return readOptionalMediaType(reader, 'artifactType');
}
