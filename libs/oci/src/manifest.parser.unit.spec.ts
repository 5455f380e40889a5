import {
  artifactManifest,
  fixtureManifest,
  imageIndex,
  multiPlatformImage,
  randomImage,
  schema1Manifest,
  sha256Of,
  type FixtureManifest,
} from '@wharf/testing';
import { describe, expect, it } from 'vitest';
import {
  MANIFEST_ACCEPT_HEADER,
  MANIFEST_MEDIA_TYPES,
  MAX_MANIFEST_BYTES,
  ManifestInvalidError,
  MediaType,
  parseImageConfig,
  parseManifest,
  toManifestFacts,
} from './index.js';

function bytesOf(document: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(document));
}

/** A variant of a fixture's document, re-serialized: how the error cases below break manifests. */
function variantOf(
  fixture: FixtureManifest,
  change: (document: Record<string, unknown>) => void,
): Uint8Array {
  const document = structuredClone(fixture.document) as Record<string, unknown>;
  change(document);
  return bytesOf(document);
}

function rejectionOf(bytes: Uint8Array, declaredMediaType?: string): ManifestInvalidError {
  try {
    parseManifest(bytes, declaredMediaType);
  } catch (error) {
    if (error instanceof ManifestInvalidError) return error;
    throw error;
  }
  throw new Error('expected the manifest to be refused, but it parsed');
}

describe('parseManifest: image manifests', () => {
  it('given an OCI image, when parsed, then its config and layers are indexed and the digest is of its bytes', () => {
    const image = randomImage({ layers: 3, annotations: { 'org.opencontainers.image.title': 'demo' } });

    const parsed = parseManifest(image.bytes, image.mediaType);

    expect(parsed).toMatchObject({
      mediaType: MediaType.OciManifest,
      schemaVersion: 2,
      kind: 'image',
      size: image.size,
      digest: image.digest,
      bytesDigest: image.digest,
      signed: false,
      configDigest: image.config.digest,
      layerDigests: image.layers.map((layer) => layer.digest),
      listed: [],
      manifestDigests: [],
      foreignLayers: [],
      annotations: { 'org.opencontainers.image.title': 'demo' },
    });
    expect(parsed.blobDigests).toEqual([image.config.digest, ...image.layers.map((layer) => layer.digest)]);
    expect(parsed.blobs[1]).toEqual({
      digest: image.layers[0]!.digest,
      mediaType: image.layers[0]!.mediaType,
      size: image.layers[0]!.size,
    });
    expect(parsed.artifactType).toBeUndefined();
  });

  it('given a Docker schema 2 image with a foreign layer, then the layer is flagged and not a blob to fetch', () => {
    const image = randomImage({ format: 'docker', layers: 2, foreignLayers: 1 });

    const parsed = parseManifest(image.bytes);

    expect(parsed.mediaType).toBe(MediaType.DockerManifestSchema2);
    expect(parsed.kind).toBe('image');
    expect(parsed.foreignLayers.map((layer) => layer.digest)).toEqual([image.foreignLayers[0]!.digest]);
    expect(parsed.foreignLayers[0]!.urls).toEqual([
      `https://foreign.example.invalid/${image.foreignLayers[0]!.digest}`,
    ]);
    expect(parsed.layerDigests).toHaveLength(3);
    expect(parsed.blobDigests).toEqual([image.config.digest, ...image.layers.map((layer) => layer.digest)]);
  });

  it('given an OCI image with a non-distributable layer, then it is flagged as foreign too', () => {
    const image = randomImage({ format: 'oci', foreignLayers: 1 });

    const parsed = parseManifest(image.bytes);

    expect(parsed.foreignLayers.map((layer) => layer.mediaType)).toEqual([
      MediaType.OciNondistributableLayerGzip,
    ]);
    expect(parsed.blobDigests).not.toContain(image.foreignLayers[0]!.digest);
  });

  it('given a manifest listing one blob twice, then the blob is to be fetched once', () => {
    const image = randomImage({ layers: 1 });
    const bytes = variantOf(image, (document) => {
      const layers = document['layers'] as unknown[];
      document['layers'] = [layers[0], layers[0]];
    });

    const parsed = parseManifest(bytes);

    expect(parsed.layerDigests).toEqual([image.layers[0]!.digest, image.layers[0]!.digest]);
    expect(parsed.blobDigests).toEqual([image.config.digest, image.layers[0]!.digest]);
  });

  it('given an OCI manifest without a mediaType field, when declared or not, then it is read as an OCI manifest', () => {
    const image = randomImage();
    const bytes = variantOf(image, (document) => delete document['mediaType']);

    expect(parseManifest(bytes).mediaType).toBe(MediaType.OciManifest);
    expect(parseManifest(bytes, MediaType.OciManifest).mediaType).toBe(MediaType.OciManifest);
    expect(parseManifest(bytes, MediaType.DockerManifestSchema2).mediaType).toBe(
      MediaType.DockerManifestSchema2,
    );
  });

  it('given a declared type with parameters or a generic type, then the declaration does not get in the way', () => {
    const image = randomImage({ format: 'docker' });

    expect(parseManifest(image.bytes, `${MediaType.DockerManifestSchema2}; charset=utf-8`).digest).toBe(
      image.digest,
    );
    expect(parseManifest(image.bytes, 'application/json').mediaType).toBe(MediaType.DockerManifestSchema2);
    expect(parseManifest(image.bytes, 'application/octet-stream').mediaType).toBe(
      MediaType.DockerManifestSchema2,
    );
  });
});

describe('parseManifest: indexes and manifest lists', () => {
  it('given an OCI index of two platforms, then its manifests and platforms are listed and it has no blobs', () => {
    const index = multiPlatformImage([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);

    const parsed = parseManifest(index.bytes, index.mediaType);

    expect(parsed.kind).toBe('list');
    expect(parsed.mediaType).toBe(MediaType.OciIndex);
    expect(parsed.digest).toBe(index.digest);
    expect(parsed.manifestDigests).toEqual(index.manifests.map((manifest) => manifest.digest));
    expect(parsed.listed).toEqual([
      {
        digest: index.manifests[0]!.digest,
        mediaType: MediaType.OciManifest,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        digest: index.manifests[1]!.digest,
        mediaType: MediaType.OciManifest,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
    ]);
    expect(parsed.blobDigests).toEqual([]);
    expect(parsed.configDigest).toBeUndefined();
  });

  it('given a Docker manifest list, then it is a list of Docker manifests', () => {
    const list = multiPlatformImage([{ os: 'linux', architecture: 'amd64' }], { format: 'docker' });

    const parsed = parseManifest(list.bytes);

    expect(parsed.mediaType).toBe(MediaType.DockerManifestList);
    expect(parsed.kind).toBe('list');
    expect(parsed.listed[0]!.mediaType).toBe(MediaType.DockerManifestSchema2);
  });

  it('given an index without mediaType, then it is recognized by its manifests', () => {
    const index = imageIndex([randomImage()]);
    const bytes = variantOf(index, (document) => delete document['mediaType']);

    expect(parseManifest(bytes).mediaType).toBe(MediaType.OciIndex);
  });

  it('given an index with a subject, annotations and an artifactType, then they are reported', () => {
    const subject = randomImage();
    const index = imageIndex([artifactManifest()], {
      subject,
      artifactType: 'application/vnd.example.bundle',
      annotations: { purpose: 'test' },
    });

    const parsed = parseManifest(index.bytes);

    expect(parsed).toMatchObject({
      kind: 'list',
      subjectDigest: subject.digest,
      artifactType: 'application/vnd.example.bundle',
      annotations: { purpose: 'test' },
    });
    expect(parsed.manifestDigests).not.toContain(subject.digest);
  });
});

describe('parseManifest: artifacts', () => {
  it('given an image-spec 1.1 artifact with a subject, then it is an artifact whose subject is not a reference', () => {
    const subject = randomImage();
    const artifact = artifactManifest({ artifactType: 'application/vnd.example.sbom', blobs: 2, subject });

    const parsed = parseManifest(artifact.bytes, artifact.mediaType);

    expect(parsed.kind).toBe('artifact');
    expect(parsed.artifactType).toBe('application/vnd.example.sbom');
    expect(parsed.subjectDigest).toBe(subject.digest);
    expect(parsed.subject).toEqual({
      mediaType: subject.mediaType,
      digest: subject.digest,
      size: subject.size,
    });
    expect(parsed.configDigest).toBe(sha256Of('{}'));
    expect(parsed.blobDigests).toEqual([
      artifact.config.digest,
      ...artifact.blobs.map((blob) => blob.digest),
    ]);
    expect(parsed.blobDigests).not.toContain(subject.digest);
    expect(parsed.manifestDigests).toEqual([]);
  });

  it('given an artifact that only has a non-image config, then its artifact type is the config media type', () => {
    const artifact = artifactManifest({ configMediaType: 'application/vnd.cncf.helm.config.v1+json' });

    const parsed = parseManifest(artifact.bytes);

    expect(parsed.kind).toBe('artifact');
    expect(parsed.artifactType).toBe('application/vnd.cncf.helm.config.v1+json');
  });
});

describe('parseManifest: Docker schema 1', () => {
  it('given an unsigned schema 1 manifest, then its layers, architecture, os and labels are read', () => {
    const manifest = schema1Manifest({
      signed: false,
      layers: 3,
      architecture: 'arm',
      labels: { team: 'a' },
    });

    const parsed = parseManifest(manifest.bytes, 'application/json');

    expect(parsed).toMatchObject({
      mediaType: MediaType.DockerManifestSchema1,
      schemaVersion: 1,
      kind: 'image',
      signed: false,
      digest: manifest.digest,
      bytesDigest: manifest.digest,
      architecture: 'arm',
      os: 'linux',
      labels: { team: 'a' },
      layerDigests: manifest.layers.map((layer) => layer.digest),
      blobDigests: manifest.layers.map((layer) => layer.digest),
      foreignLayers: [],
    });
    expect(parsed.configDigest).toBeUndefined();
  });

  it('given a signed schema 1 manifest, then its digest is that of the signed payload, as registries report it', () => {
    const manifest = schema1Manifest({ signed: true });

    const parsed = parseManifest(manifest.bytes, MediaType.DockerManifestSchema1Signed);

    expect(parsed.mediaType).toBe(MediaType.DockerManifestSchema1Signed);
    expect(parsed.signed).toBe(true);
    expect(parsed.digest).toBe(manifest.digest);
    expect(parsed.bytesDigest).toBe(sha256Of(manifest.bytes));
    expect(parsed.digest).not.toBe(parsed.bytesDigest);
    expect(parsed.size).toBe(manifest.bytes.byteLength);
    expect(parsed.layerDigests).toEqual(manifest.layers.map((layer) => layer.digest));
  });

  it('given schema 1 that repeats a layer, then the blob is to be fetched once', () => {
    const manifest = schema1Manifest({ signed: false, layers: 1 });
    const bytes = variantOf(manifest, (document) => {
      document['fsLayers'] = [...(document['fsLayers'] as unknown[]), ...(document['fsLayers'] as unknown[])];
      document['history'] = [...(document['history'] as unknown[]), ...(document['history'] as unknown[])];
    });

    expect(parseManifest(bytes).blobDigests).toEqual([manifest.layers[0]!.digest]);
  });

  it('given a signed manifest whose signatures disagree on the payload, then it is refused', () => {
    const manifest = schema1Manifest({ signed: true });
    const bytes = variantOf(manifest, (document) => {
      const [signature] = document['signatures'] as Record<string, unknown>[];
      const otherHeader = Buffer.from(JSON.stringify({ formatLength: 10, formatTail: 'Cn0' })).toString(
        'base64url',
      );
      document['signatures'] = [signature, { ...signature, protected: otherHeader }];
    });

    expect(rejectionOf(bytes).message).toBe(
      'signatures[1].protected: formatLength/formatTail disagree with signatures[0]',
    );
  });

  it('given a signed manifest whose formatLength points past its end, then it is refused', () => {
    const manifest = schema1Manifest({ signed: true });
    const bytes = variantOf(manifest, (document) => {
      const [signature] = document['signatures'] as Record<string, unknown>[];
      const header = Buffer.from(JSON.stringify({ formatLength: 10_000_000, formatTail: 'Cn0' })).toString(
        'base64url',
      );
      document['signatures'] = [{ ...signature, protected: header }];
    });

    expect(rejectionOf(bytes).field).toBe('signatures[0].protected');
  });

  it('given a signed manifest with an undecodable protected header, then the header is named', () => {
    const manifest = schema1Manifest({ signed: true });
    const bytes = variantOf(manifest, (document) => {
      const [signature] = document['signatures'] as Record<string, unknown>[];
      document['signatures'] = [{ ...signature, protected: 'not base64!' }];
    });

    expect(rejectionOf(bytes).message).toBe('signatures[0].protected: not base64url');
  });

  it('given schema 1 with fewer history entries than layers, then history is named', () => {
    const manifest = schema1Manifest({ signed: false, layers: 2 });
    const bytes = variantOf(manifest, (document) => {
      document['history'] = (document['history'] as unknown[]).slice(1);
    });

    expect(rejectionOf(bytes).message).toBe('history: has 1 entries for 2 fsLayers');
  });

  it('given schema 1 declared as an OCI manifest, then the contradiction is refused', () => {
    const manifest = schema1Manifest({ signed: false });

    expect(rejectionOf(manifest.bytes, MediaType.OciManifest).field).toBe('mediaType');
  });
});

describe('parseManifest: refusals name the field at fault', () => {
  const image = randomImage({ layers: 3 });

  it.each<[string, (document: Record<string, unknown>) => void, string]>([
    [
      'a layer digest that is not a digest',
      (document) => ((document['layers'] as Record<string, unknown>[])[2]!['digest'] = 'sha256:1234'),
      'layers[2].digest: not a digest: "sha256:1234" (a sha256 digest has 64 lowercase hex characters)',
    ],
    [
      'a negative config size',
      (document) => ((document['config'] as Record<string, unknown>)['size'] = -1),
      'config.size: not a size (a non-negative integer): -1',
    ],
    [
      'a fractional layer size',
      (document) => ((document['layers'] as Record<string, unknown>[])[0]!['size'] = 1.5),
      'layers[0].size: not a size (a non-negative integer): 1.5',
    ],
    [
      'a size given as a string',
      (document) => ((document['layers'] as Record<string, unknown>[])[1]!['size'] = '12'),
      'layers[1].size: expected a number, got a string',
    ],
    ['a missing config', (document) => delete document['config'], 'config: missing'],
    ['missing layers', (document) => delete document['layers'], 'layers: missing'],
    [
      'layers that are not an array',
      (document) => (document['layers'] = {}),
      'layers: expected an array, got a object',
    ],
    [
      'a layer without mediaType',
      (document) => delete (document['layers'] as Record<string, unknown>[])[0]!['mediaType'],
      'layers[0].mediaType: missing',
    ],
    [
      'a layer media type that is not one',
      (document) => ((document['layers'] as Record<string, unknown>[])[0]!['mediaType'] = 'tar gz'),
      'layers[0].mediaType: not a media type: "tar gz"',
    ],
    ['a missing schemaVersion', (document) => delete document['schemaVersion'], 'schemaVersion: missing'],
    [
      'schemaVersion 3',
      (document) => (document['schemaVersion'] = 3),
      'schemaVersion: expected 1 or 2, got 3',
    ],
    [
      'schemaVersion as a string',
      (document) => (document['schemaVersion'] = '2'),
      'schemaVersion: expected a number, got a string',
    ],
    [
      'an unsupported mediaType',
      (document) => (document['mediaType'] = 'application/vnd.example.manifest'),
      'mediaType: unsupported manifest media type for schemaVersion 2: application/vnd.example.manifest',
    ],
    [
      'an annotation that is not a string',
      (document) => (document['annotations'] = { count: 3 }),
      'annotations.count: expected a string, got a number',
    ],
    [
      'a subject without digest',
      (document) => (document['subject'] = { mediaType: MediaType.OciManifest, size: 3 }),
      'subject.digest: missing',
    ],
  ])('given %s, then it is refused', (_case, change, message) => {
    const error = rejectionOf(variantOf(image, change));

    expect(error.message).toBe(message);
  });

  it('given an index entry with a platform lacking os, then the entry is named', () => {
    const index = multiPlatformImage([{ os: 'linux', architecture: 'amd64' }]);
    const bytes = variantOf(index, (document) => {
      delete (
        (document['manifests'] as Record<string, unknown>[])[0]!['platform'] as Record<string, unknown>
      )['os'];
    });

    expect(rejectionOf(bytes).message).toBe('manifests[0].platform.os: missing');
  });

  it('given a body mediaType that disagrees with the declared one, then it is refused', () => {
    const error = rejectionOf(image.bytes, MediaType.DockerManifestSchema2);

    expect(error.message).toBe(
      `mediaType: the body says ${MediaType.OciManifest}, but it was declared as ${MediaType.DockerManifestSchema2}`,
    );
  });

  it('given a declared type that is not a manifest type and a body without mediaType, then it is refused', () => {
    const bytes = variantOf(image, (document) => delete document['mediaType']);

    expect(rejectionOf(bytes, 'application/vnd.example.thing').field).toBe('mediaType');
  });

  it('given a body with neither mediaType nor any field that tells its kind, then it is refused', () => {
    expect(rejectionOf(bytesOf({ schemaVersion: 2 })).field).toBe('mediaType');
  });

  it('given a body without mediaType that has both manifests and layers, then it is refused as ambiguous', () => {
    const error = rejectionOf(bytesOf({ schemaVersion: 2, manifests: [], layers: [] }));

    expect(error.message).toMatch(/both manifests and layers/);
  });

  it('given bytes that are not JSON, then the whole manifest is refused', () => {
    const error = rejectionOf(Buffer.from('{"schemaVersion": 2,'));

    expect(error.field).toBe('');
    expect(error.message).toMatch(/^manifest: manifest is not UTF-8 JSON/);
  });

  it('given invalid UTF-8, then it is refused as not JSON', () => {
    expect(rejectionOf(new Uint8Array([0x7b, 0xff, 0x7d])).message).toMatch(/not UTF-8 JSON/);
  });

  it('given a JSON array, then it is refused as not an object', () => {
    expect(rejectionOf(bytesOf([image.document])).message).toBe('manifest: expected an object, got an array');
  });

  it('given a manifest over 4 MiB, then it is refused for its size before parsing', () => {
    const bytes = variantOf(image, (document) => {
      document['annotations'] = { padding: 'x'.repeat(MAX_MANIFEST_BYTES) };
    });

    expect(rejectionOf(bytes).message).toMatch(/over the 4194304-byte manifest size limit/);
  });

  it('given a manifest of exactly 4 MiB, then it is accepted', () => {
    const unpadded = variantOf(image, (document) => (document['annotations'] = { padding: '' })).byteLength;
    const bytes = variantOf(image, (document) => {
      document['annotations'] = { padding: 'x'.repeat(MAX_MANIFEST_BYTES - unpadded) };
    });

    expect(bytes.byteLength).toBe(MAX_MANIFEST_BYTES);
    expect(parseManifest(bytes).size).toBe(MAX_MANIFEST_BYTES);
  });

  it('given a hand-made manifest with an unknown digest algorithm, then the algorithm is named', () => {
    const custom = fixtureManifest({
      ...image.document,
      config: { mediaType: MediaType.OciImageConfig, digest: `blake3:${'a'.repeat(64)}`, size: 2 },
    });

    expect(rejectionOf(custom.bytes).message).toMatch(
      /^config\.digest: not a digest: .*unsupported algorithm blake3/,
    );
  });
});

describe('image configs and manifest facts', () => {
  it('given an image and its config, when merged, then os, architecture and labels come from the config', () => {
    const image = randomImage({
      format: 'docker',
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      labels: { 'org.opencontainers.image.source': 'https://example.com/repo' },
    });

    const config = parseImageConfig(image.config.bytes);
    const facts = toManifestFacts(parseManifest(image.bytes), config);

    expect(config).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
      labels: { 'org.opencontainers.image.source': 'https://example.com/repo' },
    });
    expect(facts).toEqual({
      mediaType: MediaType.DockerManifestSchema2,
      schemaVersion: 2,
      kind: 'image',
      size: image.size,
      configDigest: image.config.digest,
      layerDigests: image.layers.map((layer) => layer.digest),
      listed: [],
      annotations: {},
      labels: { 'org.opencontainers.image.source': 'https://example.com/repo' },
      os: 'linux',
      architecture: 'arm64',
    });
  });

  it('given a schema 1 manifest and no config, then the facts keep what the manifest itself says', () => {
    const manifest = schema1Manifest({ architecture: 's390x', labels: { a: 'b' } });

    const facts = toManifestFacts(parseManifest(manifest.bytes));

    expect(facts).toMatchObject({ architecture: 's390x', os: 'linux', labels: { a: 'b' }, schemaVersion: 1 });
  });

  it('given a config with missing fields and null labels, then it reads as empty rather than failing', () => {
    expect(parseImageConfig(bytesOf({ config: { Labels: null } }))).toEqual({
      os: '',
      architecture: '',
      labels: {},
    });
    expect(parseImageConfig(bytesOf({ os: 'windows', 'os.version': '10.0.17763.1' }))).toEqual({
      os: 'windows',
      architecture: '',
      osVersion: '10.0.17763.1',
      labels: {},
    });
  });

  it('given config bytes that are not a JSON object, then they are refused', () => {
    expect(() => parseImageConfig(Buffer.from('nope'))).toThrow(/image config: not UTF-8 JSON/);
    expect(() => parseImageConfig(Buffer.from('[]'))).toThrow('image config: not a JSON object');
  });
});

describe('media types', () => {
  it('given the Accept header a client sends, then it names every manifest type Wharf parses, OCI first', () => {
    expect(MANIFEST_ACCEPT_HEADER.split(', ')).toEqual(MANIFEST_MEDIA_TYPES);
    expect(MANIFEST_MEDIA_TYPES[0]).toBe(MediaType.OciIndex);
    expect(MANIFEST_MEDIA_TYPES).toContain(MediaType.DockerManifestSchema1Signed);
    expect(MANIFEST_MEDIA_TYPES).toHaveLength(6);
  });
});
