import { Injectable } from '@nestjs/common';
import { manifestKey, parseUnitKey, unitTypeOf, type UnitKey } from '@wharf/contracts';
import { ContentIndex, type UnitReference } from '@wharf/ports';
import type { VersionContentView } from '@wharf/domain-content';
import { ContentCatalogService } from './content-catalog.service.js';
import { inBatches, presentAmongInBatches } from './index-batches.js';

/** A live version of a repository to plan against. */
export interface VersionAddress {
  readonly repositoryId: string;
  readonly version: number;
}

/** What a plan will ask about: units to add and remove (with all they reach), tag names to look up. */
export interface ViewRequest {
  readonly add?: readonly UnitKey[];
  readonly remove?: readonly UnitKey[];
  readonly tagNames?: readonly string[];
  /** Listed manifests left out of the lists being added (see ContentCatalogService.referenceClosure). */
  readonly leftOut?: readonly UnitKey[];
}

/**
 * Exactly what a plan needs of one version, fetched beforehand. A question outside the fetched part means
 * the prefetch missed something the planner relies on, so it fails loudly instead of answering "absent".
 */
class PrefetchedVersionView implements VersionContentView {
  constructor(
    private readonly presence: ReadonlyMap<UnitKey, boolean>,
    private readonly references: ReadonlyMap<UnitKey, readonly UnitKey[]>,
    private readonly referrers: ReadonlyMap<UnitKey, readonly UnitKey[]>,
    private readonly tagsByName: ReadonlyMap<string, readonly UnitKey[]>,
  ) {}

  isPresent(key: UnitKey): boolean {
    return this.fetched(this.presence, key, 'presence');
  }

  referencesOf(key: UnitKey): readonly UnitKey[] {
    return this.fetched(this.references, key, 'references');
  }

  referrersOf(key: UnitKey): readonly UnitKey[] {
    // Nothing references a tag, so a tag's referrers need no lookup.
    if (unitTypeOf(key) === 'tag') return [];
    return this.fetched(this.referrers, key, 'referrers');
  }

  presentTagsNamed(name: string): readonly UnitKey[] {
    return this.fetched(this.tagsByName, name, 'tags named');
  }

  allPresent(): Iterable<UnitKey> {
    throw new Error('a prefetched version view does not list all its units; page the version index instead');
  }

  private fetched<K, V>(map: ReadonlyMap<K, V>, key: K, what: string): V {
    const value = map.get(key);
    if (value === undefined) throw new Error(`version view: ${what} of ${String(key)} were not prefetched`);
    return value;
  }
}

/**
 * Builds the VersionContentView a planner needs from the read models: the reference closure of the named
 * units (from the catalog, which also proves they are known), their presence in the version, the present
 * units referring to what a removal reaches, and the present tags of the names involved. Costs O(what the
 * plan touches), never O(the version).
 */
@Injectable()
export class VersionViewLoader {
  constructor(
    private readonly index: ContentIndex,
    private readonly catalog: ContentCatalogService,
  ) {}

  /** A view of `at`, or of an empty version when `at` is undefined (the content left by "remove all"). */
  async load(at: VersionAddress | undefined, request: ViewRequest): Promise<VersionContentView> {
    const add = request.add ?? [];
    const remove = request.remove ?? [];
    const references = await this.catalog.referenceClosure([...add, ...remove], new Set(request.leftOut));
    const removalReach = reachableFrom(remove, references);
    const referrers = at ? await this.referrersIn(at, [...removalReach]) : new Map<UnitKey, UnitKey[]>();
    const presence = new Map<UnitKey, boolean>();
    const present = at
      ? new Set(await presentAmongInBatches(this.index, at.repositoryId, at.version, [...references.keys()]))
      : new Set<UnitKey>();
    for (const key of references.keys()) presence.set(key, present.has(key));
    for (const froms of referrers.values()) {
      for (const from of froms) {
        presence.set(from, true);
        // A tag of a removed manifest may be removed with it; what it references follows from its key.
        if (unitTypeOf(from) === 'tag' && !references.has(from)) {
          references.set(from, [manifestKey(parseUnitKey(from).digest)]);
        }
      }
    }
    const names = [...new Set([...add.filter(isTag).map(tagNameOf), ...(request.tagNames ?? [])])];
    const tagsByName = new Map<string, UnitKey[]>(names.map((name) => [name, []]));
    if (at && names.length > 0) {
      for (const tag of await this.index.presentTagsNamed(at.repositoryId, at.version, names)) {
        tagsByName.get(tagNameOf(tag))?.push(tag);
        presence.set(tag, true);
      }
    }
    return new PrefetchedVersionView(presence, references, referrers, tagsByName);
  }

  /** Every key of `keys` mapped to the present units referring to it (an empty list when none do). */
  private async referrersIn(at: VersionAddress, keys: readonly UnitKey[]): Promise<Map<UnitKey, UnitKey[]>> {
    const referrers = new Map<UnitKey, UnitKey[]>(keys.map((key) => [key, []]));
    for (const batch of inBatches(keys)) {
      const edges: UnitReference[] = await this.index.referrersInVersion(at.repositoryId, at.version, batch);
      for (const edge of edges) referrers.get(edge.to)?.push(edge.from);
    }
    return referrers;
  }
}

function reachableFrom(
  keys: readonly UnitKey[],
  references: ReadonlyMap<UnitKey, readonly UnitKey[]>,
): Set<UnitKey> {
  const reached = new Set<UnitKey>();
  const queue = [...keys];
  for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
    if (reached.has(key)) continue;
    reached.add(key);
    queue.push(...(references.get(key) ?? []));
  }
  return reached;
}

function isTag(key: UnitKey): boolean {
  return unitTypeOf(key) === 'tag';
}

function tagNameOf(key: UnitKey): string {
  return parseUnitKey(key).name ?? '';
}
