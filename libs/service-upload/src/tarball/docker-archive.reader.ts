import { createHash } from 'node:crypto';
import { MediaType, ManifestInvalidError, parseImageConfig, parseManifest } from '@wharf/oci';
import { ImportPlan, parseJsonEntry, tagOfReference, type ReadSmallEntry } from './import-plan.model.js';
import { safeName, type TarballEntries, type StoredEntry } from './tarball-entries.reader.js';
import { TarballInvalidError } from './tarball.errors.js';

const MANIFEST_JSON = 'manifest.json';

/** Docker has no registered type for an uncompressed layer; containers/image (skopeo, podman) uses this one. */
export const DOCKER_UNCOMPRESSED_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';

interface ArchivedImage {
  readonly config: string;
  readonly repoTags: readonly string[];
  readonly layers: readonly string[];
}

/**
 * A docker-archive (`docker save`, `skopeo copy … docker-archive:`): `manifest.json` lists each image's config
 * file, layer files and tags. Registries serve such an image by a Docker v2 schema 2 manifest, which the archive
 * does not hold, so one is made here from what it lists, deterministically (see dockerManifestBytes): the same
 * archive always yields the same manifest digest.
 */
export async function planDockerArchive(
  entries: TarballEntries,
  readSmall: ReadSmallEntry,
): Promise<ImportPlan> {
  const images = archivedImages(entries.metadata.get(MANIFEST_JSON)!);
  const plan = new ImportPlan();
  for (const [index, image] of images.entries()) {
    const where = `${MANIFEST_JSON} image ${index + 1}`;
    const config = fileOf(entries, image.config, `${where} Config`);
    const configFacts = parseConfig(image.config, await readSmall(safeName(image.config)));
    const layers = image.layers.map((layer, n) => fileOf(entries, layer, `${where} Layers[${n}]`));
    if (configFacts.diffIds !== undefined && configFacts.diffIds !== layers.length) {
      throw new TarballInvalidError(
        image.config,
        `the config lists ${configFacts.diffIds} rootfs.diff_ids but ${where} lists ${layers.length} layers`,
      );
    }
    const bytes = dockerManifestBytes(
      config,
      layers.map((layer, n) => ({ ...layer, mediaType: layerMediaType(image.layers[n]!, layer) })),
    );
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    checkManifest(where, bytes);
    plan.blobs.set(config.digest, config.size);
    for (const layer of layers) plan.blobs.set(layer.digest, layer.size);
    plan.addManifest({ digest, mediaType: MediaType.DockerManifestSchema2, bytes });
    if (image.repoTags.length === 0) plan.addUntagged(digest);
    for (const reference of image.repoTags) {
      const tag = tagOfReference(reference);
      if (tag === undefined || !reference.includes(':')) {
        throw new TarballInvalidError(
          MANIFEST_JSON,
          `RepoTags entry ${JSON.stringify(reference)} has no tag`,
        );
      }
      plan.tag(MANIFEST_JSON, tag, digest);
    }
  }
  return plan;
}

/**
 * The schema 2 manifest of an archived image, byte for byte as containers/image serializes one (Go's
 * encoding/json of its struct): no whitespace, keys in the order schemaVersion, mediaType, config, layers and,
 * in each descriptor, mediaType, size, digest. No value holds a character Go would escape differently.
 */
export function dockerManifestBytes(
  config: StoredEntry,
  layers: readonly (StoredEntry & { readonly mediaType: string })[],
): Buffer {
  const descriptor = (mediaType: string, blob: StoredEntry) => ({
    mediaType,
    size: blob.size,
    digest: blob.digest,
  });
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.DockerManifestSchema2,
      config: descriptor(MediaType.DockerImageConfig, config),
      layers: layers.map((layer) => descriptor(layer.mediaType, layer)),
    }),
  );
}

/** Layers are kept exactly as archived; their media type says what the bytes are, by their magic number. */
function layerMediaType(name: string, layer: StoredEntry): string {
  if (layer.head[0] === 0x1f && layer.head[1] === 0x8b) return MediaType.DockerLayer;
  if (layer.head.length >= 4 && layer.head.readUInt32LE(0) === 0xfd2fb528) {
    throw new TarballInvalidError(
      name,
      'is zstd-compressed, which a Docker schema 2 manifest cannot describe',
    );
  }
  return DOCKER_UNCOMPRESSED_LAYER;
}

function archivedImages(bytes: Buffer): ArchivedImage[] {
  const document = parseJsonEntry(MANIFEST_JSON, bytes);
  if (!Array.isArray(document) || document.length === 0) {
    throw new TarballInvalidError(MANIFEST_JSON, 'is not a non-empty JSON array of images');
  }
  return document.map((item: unknown, index) => {
    const where = `image ${index + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new TarballInvalidError(MANIFEST_JSON, `${where} is not a JSON object`);
    }
    const fields = item as Record<string, unknown>;
    const strings = (key: string, required: boolean): string[] => {
      const value = fields[key];
      if ((value === undefined || value === null) && !required) return [];
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw new TarballInvalidError(MANIFEST_JSON, `${where}: ${key} is not an array of strings`);
      }
      return value as string[];
    };
    if (typeof fields['Config'] !== 'string') {
      throw new TarballInvalidError(MANIFEST_JSON, `${where}: Config is not a string`);
    }
    return {
      config: fields['Config'],
      repoTags: strings('RepoTags', false),
      layers: strings('Layers', true),
    };
  });
}

function fileOf(entries: TarballEntries, rawName: string, where: string): StoredEntry {
  const file = entries.files.get(safeName(rawName));
  if (!file) {
    throw new TarballInvalidError(
      MANIFEST_JSON,
      `${where} names ${JSON.stringify(rawName)}, which the archive does not hold`,
    );
  }
  return file;
}

/** The config must be an image config; its diff_ids count, when it lists them, must match the layers. */
function parseConfig(name: string, bytes: Buffer): { diffIds?: number } {
  try {
    parseImageConfig(bytes);
  } catch (error) {
    throw new TarballInvalidError(name, error instanceof Error ? error.message : String(error));
  }
  const rootfs = (parseJsonEntry(name, bytes) as Record<string, unknown>)['rootfs'];
  const diffIds =
    typeof rootfs === 'object' && rootfs !== null
      ? (rootfs as Record<string, unknown>)['diff_ids']
      : undefined;
  return Array.isArray(diffIds) ? { diffIds: diffIds.length } : {};
}

/** The manifest made here goes through the same checks as any other before it is recorded. */
function checkManifest(where: string, bytes: Buffer): void {
  try {
    parseManifest(bytes, MediaType.DockerManifestSchema2);
  } catch (error) {
    if (error instanceof ManifestInvalidError) {
      throw new TarballInvalidError(MANIFEST_JSON, `${where} makes no valid manifest: ${error.message}`);
    }
    throw error;
  }
}
