import type { Readable } from 'node:stream';
import { readSmallBlob, type BlobStore } from '@wharf/ports';
import { MAX_MANIFEST_BYTES } from '@wharf/oci';
import { planDockerArchive } from './docker-archive.reader.js';
import type { ImportPlan, ReadSmallEntry } from './import-plan.model.js';
import { planOciArchive } from './oci-archive.reader.js';
import { readTarballEntries, type TarballEntries } from './tarball-entries.reader.js';
import { TarballInvalidError } from './tarball.errors.js';

/**
 * Reads and checks a whole archive of `size` bytes: its files' bytes go to the blob store, its images become
 * a plan. Nothing is recorded; any fault throws TarballInvalidError naming the entry and the cause.
 */
export async function planTarball(source: Readable, size: number, blobs: BlobStore): Promise<ImportPlan> {
  const entries = await readTarballEntries(source, blobs, { maxEntryBytes: size });
  const readSmall = smallEntryReader(entries, blobs);
  let plan: ImportPlan;
  if (entries.metadata.has('manifest.json')) plan = await planDockerArchive(entries, readSmall);
  else if (entries.metadata.has('index.json')) plan = await planOciArchive(entries, readSmall);
  else {
    throw new TarballInvalidError(
      '',
      'the archive has neither manifest.json (docker-archive) nor index.json (oci-archive)',
    );
  }
  if (plan.manifests.length === 0) throw new TarballInvalidError('', 'the archive holds no image');
  return plan;
}

/** Configs and manifests are read back from the blob store, bounded like any manifest. */
function smallEntryReader(entries: TarballEntries, blobs: BlobStore): ReadSmallEntry {
  return async (name) => {
    const file = entries.files.get(name);
    if (!file) throw new TarballInvalidError(name, 'the archive does not hold it');
    if (file.size > MAX_MANIFEST_BYTES) {
      throw new TarballInvalidError(name, `${file.size} bytes is over the ${MAX_MANIFEST_BYTES}-byte limit`);
    }
    return readSmallBlob(blobs, file.digest);
  };
}
