import { Injectable } from '@nestjs/common';
import { blobKey, manifestKey, tagKey, type CatalogUnit, type UnitKey } from '@wharf/contracts';
import { RemoteError } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { ManifestInvalidError, parseManifest, type ParsedManifest } from '@wharf/oci';
import { PushTargets } from './push-targets.js';
import type { ManifestReference } from './registry-route.parser.js';
import { blobUnknown, manifestUnknown, RegistryError } from './registry.errors.js';

/** What a manifest push stored. */
export interface PushedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly subject?: string;
}

/** Generic types a client may send a manifest under; the body's own media type then decides. */
const GENERIC_TYPES = new Set(['', 'application/json', 'application/octet-stream']);

/**
 * Manifest pushes and deletes. A pushed manifest is checked whole before anything is written: it parses as
 * the media type it was sent as, a digest reference matches its bytes, and every blob and manifest it
 * references is in the catalog (pushed blobs are recorded there when their upload finishes). Then it is
 * recorded and added to the name's repository, with its blobs and its tag, as ONE new version: the version
 * a client sees is the image it pushed, never a half of it (ADR 0010).
 */
@Injectable()
export class ManifestPushes {
  constructor(
    private readonly queries: Queries,
    private readonly targets: PushTargets,
  ) {}

  async push(
    name: string,
    reference: ManifestReference,
    contentType: string | undefined,
    bytes: Buffer,
  ): Promise<PushedManifest> {
    const parsed = parse(bytes, contentType);
    if (reference.kind === 'digest' && reference.digest !== parsed.digest) {
      throw new RegistryError(
        'DIGEST_INVALID',
        `the manifest's digest is ${parsed.digest}, not ${reference.digest} as its path says`,
        { name, digest: reference.digest },
      );
    }
    await this.requireReferences(name, parsed);
    const repositoryId = await this.targets.repositoryFor(name);
    const unit = await this.queries.ask('content.manifest.record', {
      bytes: bytes.toString('base64'),
      mediaType: parsed.mediaType,
    });
    const key: UnitKey = reference.kind === 'tag' ? tagKey(reference.tag, unit.digest) : unit.key;
    await this.queries.ask('content.version.add', { repositoryId, units: [key] });
    return {
      digest: unit.digest,
      mediaType: parsed.mediaType,
      ...(parsed.subject && { subject: parsed.subject.digest }),
    };
  }

  /** Removes a manifest (by digest, with its tags and the blobs nothing else needs) or a tag: one version. */
  async delete(name: string, reference: ManifestReference): Promise<void> {
    const repositoryId = await this.deletableRepository(name);
    const shown = reference.kind === 'tag' ? reference.tag : reference.digest;
    if (repositoryId === undefined) throw manifestUnknown(name, shown);
    try {
      if (reference.kind === 'tag') {
        await this.queries.ask('content.version.untag', { repositoryId, tag: reference.tag });
      } else {
        await this.removePresent(name, repositoryId, 'manifest', reference.digest, () =>
          manifestUnknown(name, shown),
        );
      }
    } catch (error) {
      if (isRemote(error, 'TagNotFoundError')) throw manifestUnknown(name, shown);
      throw error;
    }
  }

  /** Removes a blob from the name's repository, unless a manifest there still needs it. */
  async deleteBlob(name: string, digest: string): Promise<void> {
    const repositoryId = await this.deletableRepository(name);
    if (repositoryId === undefined) throw blobUnknown(name, digest);
    await this.removePresent(name, repositoryId, 'blob', digest, () => blobUnknown(name, digest));
  }

  /** Deletes are refused with 405 UNSUPPORTED where the name serves no repository's latest version. */
  private async deletableRepository(name: string): Promise<string | undefined> {
    try {
      return await this.targets.existing(name);
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'DENIED') {
        throw new RegistryError('UNSUPPORTED', error.message, error.detail, 405);
      }
      throw error;
    }
  }

  private async removePresent(
    name: string,
    repositoryId: string,
    type: 'blob' | 'manifest',
    digest: string,
    unknown: () => RegistryError,
  ): Promise<void> {
    const repository = await this.queries.ask('content.repository.get', { id: repositoryId });
    const present = await this.queries.ask('content.unit.list', {
      type,
      digest,
      limit: 1,
      repositoryVersion: { repositoryId, version: repository.latestVersion, membership: 'present' },
    });
    const unit = present.items[0];
    if (!unit) throw unknown();
    const { created } = await this.queries.ask('content.version.remove', { repositoryId, units: [unit.key] });
    if (!created) {
      // Removal keeps what staying content needs (a blob of a manifest that stays): nothing changed.
      throw new RegistryError(
        'UNSUPPORTED',
        `${type} ${digest} is still needed by other content of ${name}; delete that first`,
        { name, digest },
        405,
      );
    }
  }

  /**
   * Every referenced blob and child manifest must be in the catalog, and a blob at the size the manifest
   * says: a wrong size would make every client's pull fail its verification.
   */
  private async requireReferences(name: string, parsed: ParsedManifest): Promise<void> {
    const references = [
      ...parsed.blobs.map((blob) => ({ kind: 'blob', key: blobKey(blob.digest), ...blob })),
      ...parsed.manifestDigests.map((digest) => ({ kind: 'manifest', key: manifestKey(digest), digest })),
    ];
    const found = await Promise.all(
      references.map(async (reference) => ({ reference, unit: await this.recorded(reference.key) })),
    );
    const absent = found.filter((f) => f.unit === undefined).map((f) => f.reference);
    if (absent.length > 0) {
      throw new RegistryError(
        'MANIFEST_BLOB_UNKNOWN',
        `manifest references content unknown to the registry: ${absent.map((r) => `${r.kind} ${r.digest}`).join(', ')}`,
        { name, digests: absent.map((r) => r.digest) },
      );
    }
    for (const { reference, unit } of found) {
      const declared = 'size' in reference ? reference.size : undefined;
      if (declared === undefined || unit?.size === undefined || unit.size === declared) continue;
      throw new RegistryError(
        'MANIFEST_INVALID',
        `manifest invalid: it gives blob ${reference.digest} a size of ${declared} bytes, but it has ${unit.size}`,
        { name, digest: reference.digest },
      );
    }
  }

  private async recorded(key: UnitKey): Promise<CatalogUnit | undefined> {
    try {
      return await this.queries.ask('content.unit.get', { key });
    } catch (error) {
      if (error instanceof RemoteError && error.remoteName.endsWith('NotFoundError')) return undefined;
      throw error;
    }
  }
}

/** Parses the body as the media type it was sent as; a generic or absent Content-Type lets the body decide. */
function parse(bytes: Buffer, contentType: string | undefined): ParsedManifest {
  const declared = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let parsed: ParsedManifest;
  try {
    parsed = parseManifest(bytes, GENERIC_TYPES.has(declared) ? undefined : declared);
  } catch (error) {
    if (error instanceof ManifestInvalidError) {
      throw new RegistryError('MANIFEST_INVALID', `manifest invalid: ${error.message}`, {
        field: error.field,
      });
    }
    throw error;
  }
  if (!GENERIC_TYPES.has(declared) && parsed.mediaType !== declared) {
    throw new RegistryError(
      'MANIFEST_INVALID',
      `manifest invalid: sent as ${declared} but its body is a ${parsed.mediaType}`,
      { mediaType: declared },
    );
  }
  return parsed;
}

function isRemote(error: unknown, name: string): boolean {
  return error instanceof RemoteError && error.remoteName === name;
}
