import { ManifestInvalidError, parseManifest, type ParsedManifest } from '@wharf/oci';
import { ImportPlan, parseJsonEntry, tagOfReference, type ReadSmallEntry } from './import-plan.model.js';
import type { TarballEntries } from './tarball-entries.reader.js';
import { TarballInvalidError } from './tarball.errors.js';

const INDEX_JSON = 'index.json';
const REF_NAME = 'org.opencontainers.image.ref.name';
/** Indexes may list indexes; no real image nests deeper than a few levels. */
const MAX_DEPTH = 8;

interface IndexEntry {
  readonly digest: string;
  /** Undefined for an index's children: the parsed index keeps no sizes, and the digest is checked anyway. */
  readonly size: number | undefined;
  readonly mediaType?: string;
  readonly refName?: string;
}

/**
 * An oci-archive (an OCI image layout in a tar, as `skopeo copy … oci-archive:` writes it): `index.json` lists
 * the top-level manifests, tagged by their `org.opencontainers.image.ref.name` annotation; every manifest and
 * blob is `blobs/sha256/<hex>`, verified against its name while it was stored. Manifests are kept byte for
 * byte, so their digests are the archive's.
 */
export async function planOciArchive(
  entries: TarballEntries,
  readSmall: ReadSmallEntry,
): Promise<ImportPlan> {
  const plan = new ImportPlan();
  const walker = new ManifestWalker(entries, readSmall, plan);
  for (const [index, entry] of indexEntries(entries.metadata.get(INDEX_JSON)!).entries()) {
    const where = `${INDEX_JSON} manifests[${index}]`;
    await walker.visit(entry, where, 0);
    if (entry.refName === undefined) {
      plan.addUntagged(entry.digest);
      continue;
    }
    const tag = tagOfReference(entry.refName);
    if (tag === undefined) {
      throw new TarballInvalidError(
        INDEX_JSON,
        `${where}: ref name ${JSON.stringify(entry.refName)} has no tag`,
      );
    }
    plan.tag(INDEX_JSON, tag, entry.digest);
  }
  return plan;
}

class ManifestWalker {
  private readonly visited = new Set<string>();

  constructor(
    private readonly entries: TarballEntries,
    private readonly readSmall: ReadSmallEntry,
    private readonly plan: ImportPlan,
  ) {}

  /** Records the manifest's blobs and listed manifests (children first), each checked against the archive. */
  async visit(entry: IndexEntry, where: string, depth: number): Promise<void> {
    if (this.visited.has(entry.digest)) return;
    if (depth > MAX_DEPTH)
      throw new TarballInvalidError(INDEX_JSON, `${where}: indexes nest deeper than ${MAX_DEPTH}`);
    const name = this.blobName(entry.digest, entry.size, where);
    const bytes = await this.readSmall(name);
    const parsed = parseOrRefuse(name, bytes, entry.mediaType);
    for (const blob of parsed.blobs) {
      const blobName = this.blobName(blob.digest, blob.size, `manifest ${entry.digest}`);
      this.plan.blobs.set(blob.digest, this.entries.files.get(blobName)!.size);
    }
    for (const child of parsed.listed) {
      await this.visit(
        { digest: child.digest, size: undefined, mediaType: child.mediaType },
        `manifest ${entry.digest}`,
        depth + 1,
      );
    }
    this.visited.add(entry.digest);
    this.plan.addManifest({ digest: parsed.digest, mediaType: parsed.mediaType, bytes });
  }

  /** The archive member holding `digest`; it must be there and have the size the descriptor gives. */
  private blobName(digest: string, size: number | undefined, where: string): string {
    const name = `blobs/${digest.replace(':', '/')}`;
    const file = this.entries.files.get(name);
    if (!file) {
      throw new TarballInvalidError(name, `${where} references ${digest}, which the archive does not hold`);
    }
    if (size !== undefined && file.size !== size) {
      throw new TarballInvalidError(name, `has ${file.size} bytes, but ${where} says ${size}`);
    }
    return name;
  }
}

function parseOrRefuse(name: string, bytes: Buffer, mediaType: string | undefined): ParsedManifest {
  try {
    return parseManifest(bytes, mediaType);
  } catch (error) {
    if (error instanceof ManifestInvalidError) {
      throw new TarballInvalidError(name, `is not a valid manifest: ${error.message}`);
    }
    throw error;
  }
}

function indexEntries(bytes: Buffer): IndexEntry[] {
  const document = parseJsonEntry(INDEX_JSON, bytes);
  const manifests =
    typeof document === 'object' && document !== null
      ? (document as Record<string, unknown>)['manifests']
      : undefined;
  if (!Array.isArray(manifests)) {
    throw new TarballInvalidError(INDEX_JSON, 'is not an image index: it has no manifests array');
  }
  return manifests.map((item: unknown, index) => {
    const fail = (reason: string) => new TarballInvalidError(INDEX_JSON, `manifests[${index}]: ${reason}`);
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fail('is not a JSON object');
    const fields = item as Record<string, unknown>;
    const { digest, size, mediaType, annotations } = fields;
    if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw fail('digest is not a sha256 digest');
    }
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
      throw fail('size is not a byte count');
    if (mediaType !== undefined && typeof mediaType !== 'string') throw fail('mediaType is not a string');
    const refName =
      typeof annotations === 'object' && annotations !== null
        ? (annotations as Record<string, unknown>)[REF_NAME]
        : undefined;
    if (refName !== undefined && typeof refName !== 'string')
      throw fail(`annotation ${REF_NAME} is not a string`);
    return { digest, size, mediaType, refName };
  });
}
