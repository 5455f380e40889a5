import { createHash } from 'node:crypto';
import { blobKey, manifestKey, parseUnitKey, tagKey, unitTypeOf, type UnitKey } from '@wharf/contracts';
import { describe, expect, it } from 'vitest';
import {
  diffKeySets,
  DuplicateTagError,
  InvalidManifestDigestError,
  InvalidTagError,
  InvalidUnitKeyError,
  ManifestNotPresentError,
  normalizeChange,
  planAdd,
  planModify,
  planRemove,
  planTag,
  planUntag,
  relativeToLatest,
  summarize,
  TagNotFoundError,
  type VersionContentView,
} from './index.js';

// ---- an in-memory base version: a catalog of references and a set of present keys ---------------

const digestOf = (label: string) => `sha256:${createHash('sha256').update(label).digest('hex')}`;
const blob = (label: string) => blobKey(digestOf(label));
const manifest = (label: string) => manifestKey(digestOf(label));
const tag = (name: string, manifestLabel: string) => tagKey(name, digestOf(manifestLabel));

/** The catalog: every unit and what it references. */
const catalog = new Map<UnitKey, UnitKey[]>();
function image(label: string, layers: string[]): UnitKey {
  catalog.set(manifest(label), [blob(`${label}-config`), ...layers.map(blob)]);
  return manifest(label);
}
function list(label: string, manifests: UnitKey[]): UnitKey {
  catalog.set(manifest(label), manifests);
  return manifest(label);
}
function tagged(name: string, manifestLabel: string): UnitKey {
  catalog.set(tag(name, manifestLabel), [manifest(manifestLabel)]);
  return tag(name, manifestLabel);
}

// Two images sharing a base layer, an index over amd64/arm64, another index sharing arm64, and tags.
image('app', ['base', 'app-layer']);
image('tool', ['base', 'tool-layer']);
image('amd64', ['amd64-layer']);
image('arm64', ['arm64-layer']);
list('multi', [manifest('amd64'), manifest('arm64')]);
list('arm-only', [manifest('arm64')]);
tagged('latest', 'app');
tagged('v1', 'app');
tagged('latest', 'tool');
tagged('multi', 'multi');

function imageUnits(label: string): UnitKey[] {
  return [manifest(label), ...catalog.get(manifest(label))!];
}

class InMemoryVersion implements VersionContentView {
  private readonly present: Set<UnitKey>;

  constructor(keys: Iterable<UnitKey>) {
    this.present = new Set(keys);
  }

  isPresent(key: UnitKey): boolean {
    return this.present.has(key);
  }

  referencesOf(key: UnitKey): readonly UnitKey[] {
    return catalog.get(key) ?? [];
  }

  referrersOf(key: UnitKey): readonly UnitKey[] {
    return [...this.present].filter((unit) => this.referencesOf(unit).includes(key));
  }

  presentTagsNamed(name: string): readonly UnitKey[] {
    return [...this.present].filter((unit) => unitTypeOf(unit) === 'tag' && parseUnitKey(unit).name === name);
  }

  allPresent(): Iterable<UnitKey> {
    return this.present;
  }
}

const sorted = (keys: UnitKey[]) => [...new Set(keys)].sort();
const empty = new InMemoryVersion([]);

// ---- add ----------------------------------------------------------------------------------------

describe('planAdd', () => {
  it('given an empty version, when a tag is added, then its manifest, config and layers come with it', () => {
    expect(planAdd([tag('latest', 'app')], empty)).toEqual({
      added: sorted([tag('latest', 'app'), ...imageUnits('app')]),
      removed: [],
    });
  });

  it('given an empty version, when an index is added, then its manifests and their blobs come with it', () => {
    expect(planAdd([manifest('multi')], empty)).toEqual({
      added: sorted([manifest('multi'), ...imageUnits('amd64'), ...imageUnits('arm64')]),
      removed: [],
    });
  });

  it('given a version holding one image, when an image sharing a layer is added, then only what is missing is added', () => {
    const version = new InMemoryVersion(imageUnits('app'));

    expect(planAdd([manifest('tool')], version).added).toEqual(
      sorted([manifest('tool'), blob('tool-config'), blob('tool-layer')]),
    );
  });

  it('given a version missing a layer of a present image, when the image is added again, then the layer is restored', () => {
    const version = new InMemoryVersion(imageUnits('app').filter((key) => key !== blob('app-layer')));

    expect(planAdd([manifest('app')], version)).toEqual({ added: [blob('app-layer')], removed: [] });
  });

  it('given latest on one image, when latest of another image is added, then the old tag alone is replaced', () => {
    const version = new InMemoryVersion([tag('latest', 'app'), ...imageUnits('app')]);

    expect(planAdd([tag('latest', 'tool')], version)).toEqual({
      added: sorted([tag('latest', 'tool'), ...imageUnits('tool')]).filter((key) => key !== blob('base')),
      removed: [tag('latest', 'app')],
    });
  });

  it('given two tags of one name for different manifests in one request, then the request is refused', () => {
    expect(() => planAdd([tag('latest', 'app'), tag('latest', 'tool')], empty)).toThrow(DuplicateTagError);
    expect(() => planAdd([tag('latest', 'app'), tag('latest', 'tool')], empty)).toThrow(
      `tag: tag latest is requested more than once, pointing at different manifests: ${tag('latest', 'app')}, ${tag('latest', 'tool')}.`,
    );
  });

  it('given content already present, when added again, then nothing changes', () => {
    const version = new InMemoryVersion([tag('latest', 'app'), ...imageUnits('app')]);

    expect(planAdd([tag('latest', 'app'), tag('latest', 'app')], version)).toEqual({
      added: [],
      removed: [],
    });
  });

  it('given a key that is not a unit key, then it is refused', () => {
    expect(() => planAdd(['layer:sha256:00'], empty)).toThrow(InvalidUnitKeyError);
  });
});

// ---- remove -------------------------------------------------------------------------------------

describe('planRemove', () => {
  const both = new InMemoryVersion([
    tag('latest', 'app'),
    tag('v1', 'app'),
    ...imageUnits('app'),
    tag('latest', 'tool'),
    ...imageUnits('tool'),
  ]);

  it('given two images sharing a layer, when one manifest is removed, then its tags and own blobs go, the shared layer stays', () => {
    expect(planRemove([manifest('app')], both)).toEqual({
      added: [],
      removed: sorted([
        manifest('app'),
        blob('app-config'),
        blob('app-layer'),
        tag('latest', 'app'),
        tag('v1', 'app'),
      ]),
    });
  });

  it('given a manifest with two tags, when one tag is removed, then the manifest stays for the other', () => {
    expect(planRemove([tag('v1', 'app')], both)).toEqual({ added: [], removed: [tag('v1', 'app')] });
  });

  it('given a manifest with one tag, when the tag is removed, then the manifest and its own blobs leave with it', () => {
    expect(planRemove([tag('latest', 'tool')], both).removed).toEqual(
      sorted([tag('latest', 'tool'), manifest('tool'), blob('tool-config'), blob('tool-layer')]),
    );
  });

  it('given two indexes sharing a manifest, when one index is removed, then the shared manifest and its layer stay', () => {
    const version = new InMemoryVersion([
      manifest('multi'),
      manifest('arm-only'),
      ...imageUnits('amd64'),
      ...imageUnits('arm64'),
    ]);

    expect(planRemove([manifest('multi')], version).removed).toEqual(
      sorted([manifest('multi'), ...imageUnits('amd64')]),
    );
  });

  it('given a manifest an index that stays still lists, when the manifest is removed, then nothing breaks the index', () => {
    const version = new InMemoryVersion([manifest('multi'), ...imageUnits('amd64'), ...imageUnits('arm64')]);

    expect(planRemove([manifest('arm64')], version)).toEqual({ added: [], removed: [] });
  });

  it('given a blob a present manifest needs, when the blob alone is removed, then it stays', () => {
    expect(planRemove([blob('base')], both).removed).toEqual([]);
  });

  it('given "*", then everything present is removed', () => {
    expect(planRemove('*', both).removed).toEqual(sorted([...both.allPresent()]));
  });

  it('given keys that are not present, then nothing changes', () => {
    expect(planRemove([manifest('multi'), tag('nope', 'app')], both)).toEqual({ added: [], removed: [] });
  });
});

// ---- modify -------------------------------------------------------------------------------------

describe('planModify', () => {
  it('given a tag removed and added back in one request, then the change cancels out', () => {
    const version = new InMemoryVersion([tag('latest', 'app'), ...imageUnits('app')]);

    expect(planModify({ remove: [tag('latest', 'app')], add: [tag('latest', 'app')] }, version)).toEqual({
      added: [],
      removed: [],
    });
  });

  it('given one image swapped for another sharing a layer, then the shared layer is neither added nor removed', () => {
    const version = new InMemoryVersion([tag('latest', 'app'), ...imageUnits('app')]);

    const change = planModify({ remove: [tag('latest', 'app')], add: [tag('latest', 'tool')] }, version);

    expect(change.removed).toEqual(
      sorted([tag('latest', 'app'), manifest('app'), blob('app-config'), blob('app-layer')]),
    );
    expect(change.added).toEqual(
      sorted([tag('latest', 'tool'), manifest('tool'), blob('tool-config'), blob('tool-layer')]),
    );
  });

  it('given "*" removed and a tag added (a mirror sync), then only what the tag does not need is removed', () => {
    const version = new InMemoryVersion([tag('latest', 'app'), tag('v1', 'app'), ...imageUnits('app')]);

    expect(planModify({ remove: '*', add: [tag('v1', 'app')] }, version)).toEqual({
      added: [],
      removed: [tag('latest', 'app')],
    });
  });
});

// ---- tag / untag --------------------------------------------------------------------------------

describe('planTag and planUntag', () => {
  const version = new InMemoryVersion([tag('latest', 'app'), ...imageUnits('app'), ...imageUnits('tool')]);

  it('given a present manifest, when tagged with a new name, then only the tag is added', () => {
    expect(planTag('stable', digestOf('tool'), version)).toEqual({
      added: [tag('stable', 'tool')],
      removed: [],
    });
  });

  it('given a name already on another manifest, when tagged, then the tag moves', () => {
    expect(planTag('latest', digestOf('tool'), version)).toEqual({
      added: [tag('latest', 'tool')],
      removed: [tag('latest', 'app')],
    });
  });

  it('given the same tag again, then nothing changes', () => {
    expect(planTag('latest', digestOf('app'), version)).toEqual({ added: [], removed: [] });
  });

  it('given a manifest that is not present, then the refusal names its digest', () => {
    expect(() => planTag('x', digestOf('multi'), version)).toThrow(
      new ManifestNotPresentError(digestOf('multi')),
    );
    expect(() => planTag('x', digestOf('multi'), version)).toThrow(digestOf('multi'));
  });

  it('given an invalid tag name or digest, then they are refused', () => {
    expect(() => planTag('-bad', digestOf('app'), version)).toThrow(InvalidTagError);
    expect(() => planTag('ok', 'sha256:beef', version)).toThrow(InvalidManifestDigestError);
    expect(() => planUntag('a:b', version)).toThrow(InvalidTagError);
  });

  it('given a present tag, when untagged, then the tag goes and the manifest stays', () => {
    expect(planUntag('latest', version)).toEqual({ added: [], removed: [tag('latest', 'app')] });
  });

  it('given no tag of that name, when untagged, then the tag is not found', () => {
    expect(() => planUntag('stable', version)).toThrow(new TagNotFoundError('stable'));
  });
});

// ---- set arithmetic and summaries ---------------------------------------------------------------

describe('relativeToLatest, diffKeySets, normalizeChange and summarize', () => {
  it('given a change based on an older version, then it becomes the change that turns latest into base + change', () => {
    const base = [blob('a'), blob('b')];
    const latest = [blob('b'), blob('d')];

    expect(relativeToLatest({ base, change: { added: [blob('c')], removed: [blob('a')] }, latest })).toEqual({
      added: [blob('c')],
      removed: [blob('d')],
    });
  });

  it('given a rollback to an old version, then the diff from latest restores its content exactly', () => {
    const old = [tag('latest', 'app'), ...imageUnits('app')];
    const latest = [tag('latest', 'tool'), ...imageUnits('tool')];

    const change = diffKeySets(old, latest);
    const restored = new Set(latest);
    change.removed.forEach((key) => restored.delete(key));
    change.added.forEach((key) => restored.add(key));

    expect(sorted([...restored])).toEqual(sorted(old));
    expect(change.added).not.toContain(blob('base'));
  });

  it('given a key both added and removed, then normalizing cancels it and sorts the rest', () => {
    expect(normalizeChange([blob('b'), blob('a'), blob('a')], [blob('a'), blob('c')])).toEqual({
      added: [blob('b')],
      removed: [blob('c')],
    });
  });

  it('given a change and the counts before it, then the summary counts per type as Pulp does', () => {
    const change = planAdd([tag('latest', 'app')], empty);

    expect(summarize(change, { blob: 1, manifest: 0, tag: 0 })).toEqual({
      added: { blob: 3, manifest: 1, tag: 1 },
      removed: { blob: 0, manifest: 0, tag: 0 },
      present: { blob: 4, manifest: 1, tag: 1 },
    });
  });
});
