import {
  artifactManifest,
  imageIndex,
  multiPlatformImage,
  randomImage,
  schema1Manifest,
  type FixtureManifest,
} from '@wharf/testing';
import { describe, expect, it } from 'vitest';
import { isDigest, ManifestInvalidError, MANIFEST_MEDIA_TYPES, parseManifest } from './index.js';

/** mulberry32: a seeded generator, so that a failing case can be replayed from the seed in its message. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

class Mutator {
  constructor(private readonly random: () => number) {}

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** Every object and array in the document, so a mutation can land at any depth. */
  private containers(value: Json, found: Container[] = []): Container[] {
    if (value !== null && typeof value === 'object') {
      found.push(value);
      Object.values(value).forEach((child) => this.containers(child, found));
    }
    return found;
  }

  private strangeValue(): Json {
    return this.pick<() => Json>([
      () => null,
      () => true,
      () => -1,
      () => 1.5,
      () => 2 ** 60,
      () => '',
      () => 'sha256:1234',
      () => `sha256:${'f'.repeat(64)}`,
      () => 'application/vnd.oci.image.manifest.v1+json',
      () => [],
      () => ({}),
      () => [{}],
      () => ({ mediaType: 'a/b', digest: `sha256:${'0'.repeat(64)}`, size: 1 }),
    ])();
  }

  mutateDocument(document: Json): void {
    const target = this.pick(this.containers(document));
    const action = this.pick(['delete', 'replace', 'add', 'duplicate'] as const);
    if (Array.isArray(target)) {
      if (target.length === 0 || action === 'add') {
        target.push(this.strangeValue());
        return;
      }
      const index = Math.floor(this.random() * target.length);
      if (action === 'delete') target.splice(index, 1);
      else if (action === 'duplicate') target.push(structuredClone(target[index]!));
      else target[index] = this.strangeValue();
      return;
    }
    const names = Object.keys(target);
    if (names.length === 0 || action === 'add') {
      const name = this.pick([
        'mediaType',
        'digest',
        'size',
        'layers',
        'manifests',
        'config',
        'signatures',
        'x',
      ]);
      target[name] = this.strangeValue();
      return;
    }
    const name = this.pick(names);
    if (action === 'delete') delete target[name];
    else if (action === 'duplicate') target[`${name}_copy`] = structuredClone(target[name]!);
    else target[name] = this.strangeValue();
  }

  mutateBytes(bytes: Uint8Array): Uint8Array {
    const copy = Buffer.from(bytes);
    const position = Math.floor(this.random() * copy.length);
    const action = this.pick(['truncate', 'flip', 'insert'] as const);
    if (action === 'truncate') return copy.subarray(0, position);
    if (action === 'flip') {
      copy[position] = Math.floor(this.random() * 256);
      return copy;
    }
    return Buffer.concat([
      copy.subarray(0, position),
      Buffer.from(this.pick(['{', '"', ',', ']', '\\u0000', '0'])),
      copy.subarray(position),
    ]);
  }
}

describe('parseManifest under random mutation', () => {
  const fixtures: FixtureManifest[] = [
    randomImage({ layers: 3 }),
    randomImage({ format: 'docker', foreignLayers: 1 }),
    multiPlatformImage([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' },
    ]),
    imageIndex([randomImage({ format: 'docker' })], { format: 'docker' }),
    artifactManifest({ subject: randomImage(), blobs: 2 }),
    schema1Manifest({ signed: true }),
    schema1Manifest({ signed: false }),
  ];
  const seed = 0x5eed;
  const iterations = 4000;

  it(`given ${iterations} mutated manifests (seed ${seed}), then each parses or throws ManifestInvalidError`, () => {
    const random = seededRandom(seed);
    const mutator = new Mutator(random);
    const outcomes = { parsed: 0, refused: 0 };

    for (let iteration = 0; iteration < iterations; iteration++) {
      const fixture = mutator.pick(fixtures);
      let bytes: Uint8Array;
      if (random() < 0.25) {
        bytes = mutator.mutateBytes(fixture.bytes);
      } else {
        const document = JSON.parse(Buffer.from(fixture.bytes).toString('utf8')) as Json;
        const mutations = 1 + Math.floor(random() * 3);
        for (let m = 0; m < mutations; m++) mutator.mutateDocument(document);
        bytes = Buffer.from(JSON.stringify(document, null, random() < 0.5 ? 3 : undefined));
      }
      const declared =
        random() < 0.3 ? mutator.pick([...MANIFEST_MEDIA_TYPES, 'application/json']) : undefined;

      try {
        const parsed = parseManifest(bytes, declared);
        outcomes.parsed++;
        expect(isDigest(parsed.digest)).toBe(true);
        expect(parsed.size).toBe(bytes.byteLength);
        expect(parsed.blobDigests.every((digest) => isDigest(digest))).toBe(true);
        expect(parsed.manifestDigests.every((digest) => isDigest(digest))).toBe(true);
      } catch (error) {
        if (!(error instanceof ManifestInvalidError)) {
          const sample = Buffer.from(bytes).toString('utf8').slice(0, 2000);
          throw new Error(
            `iteration ${iteration} (seed ${seed}, declared ${declared}): ${String(error)}\n${sample}`,
          );
        }
        outcomes.refused++;
      }
    }

    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    expect(outcomes.parsed).toBeGreaterThan(iterations / 20);
    expect(outcomes.refused).toBeGreaterThan(iterations / 4);
  });
});
