// Upstream content for the sync benchmark: many tags over a few shared base layers, and one image with a very
// large layer written to disk as it is generated. Pushed with Wharf's own registry client, each blob once.
import { createCipheriv, createHash, randomBytes, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { RegistryClient } from '@wharf/registry-client';
import {
  blobsOf,
  descriptorOf,
  fixtureBlob,
  fixtureManifest,
  imageIndex,
  manifestsOf,
  randomLayer,
} from '@wharf/testing';

const MEDIA_TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
};
const UNCOMPRESSED_OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const PLATFORMS = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
];
const PUSH_CONCURRENCY = 8;
const MiB = 1024 * 1024;

/** An image manifest over `layers` (shared ones first), in the format's media types unless told otherwise. */
function layeredImage(layers, platform, format, layerMediaType = MEDIA_TYPES[format].layer) {
  const types = MEDIA_TYPES[format];
  const config = fixtureBlob(
    Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant && { variant: platform.variant }),
        rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
      }),
    ),
    types.config,
  );
  const document = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: descriptorOf(config),
    layers: layers.map((layer) => ({ ...descriptorOf(layer), mediaType: layerMediaType })),
  };
  return { ...fixtureManifest(document, types.manifest), kind: 'image', config, layers, foreignLayers: [] };
}

/** The bytes of a one-file tar whose file holds `size` pseudo-random bytes drawn from `seed` (AES-CTR). */
async function* seededTar(seed, size) {
  yield tarHeader('bench/layer.bin', size);
  const keystream = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  for (let left = size; left > 0; left -= MiB) yield keystream.update(zeros.subarray(0, Math.min(MiB, left)));
  // Padding to a whole record, then the two zero records that end an archive.
  yield Buffer.alloc(((512 - (size % 512)) % 512) + 1024);
}

/** The seeded tar gzipped at level 0 (stored blocks): a valid tar.gz that costs no compression time. */
function seededTarGz(seed, size) {
  return Readable.from(seededTar(seed, size)).pipe(createGzip({ level: 0 }));
}

/** A sink that hashes what it is given. */
function hashingSink(hash) {
  return new Writable({
    write(chunk, _encoding, done) {
      hash.update(chunk);
      done();
    },
  });
}

/**
 * A layer of `size` pseudo-random bytes that is never held in memory: made once here to learn its digests,
 * and again, identical, by `open()` whenever it is pushed.
 */
async function seededLayer(size) {
  const seed = randomBytes(32);
  const diffId = createHash('sha256');
  const digest = createHash('sha256');
  let compressedSize = 0;
  await pipeline(
    seededTar(seed, size),
    async function* (tar) {
      for await (const chunk of tar) {
        diffId.update(chunk);
        yield chunk;
      }
    },
    createGzip({ level: 0 }),
    async function* (gzipped) {
      for await (const chunk of gzipped) {
        compressedSize += chunk.length;
        yield chunk;
      }
    },
    hashingSink(digest),
  );
  return {
    mediaType: MEDIA_TYPES.oci.layer,
    digest: `sha256:${digest.digest('hex')}`,
    size: compressedSize,
    diffId: `sha256:${diffId.digest('hex')}`,
    open: () => seededTarGz(seed, size),
  };
}

/** `count` seeded layers of `size` bytes, made a few at a time. */
async function seededLayers(count, size) {
  const layers = [];
  for (let i = 0; i < count; i += PUSH_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(PUSH_CONCURRENCY, count - i) }, () => seededLayer(size));
    layers.push(...(await Promise.all(batch)));
  }
  return layers;
}

/**
 * `tags` tagged images: every fourth a two-platform index, the rest single images alternating OCI and Docker.
 * Each image has two of the `baseLayers` shared base layers (rotating) plus a layer of `uniqueLayerBytes`
 * of its own. Unique layers are seeded (see seededLayer), so thousands of MiB of them cost no memory.
 */
export async function sharedBaseImages({ tags, baseLayers, baseLayerBytes, uniqueLayerBytes }) {
  const base = Array.from({ length: baseLayers }, () => randomLayer({ size: baseLayerBytes }));
  const images = Array.from({ length: tags }, (_, i) => (i % 4 === 3 ? PLATFORMS.length : 1));
  const unique = await seededLayers(
    images.reduce((sum, count) => sum + count, 0),
    uniqueLayerBytes,
  );
  const imageOn = (i, platform, format) =>
    layeredImage([base[i % baseLayers], base[(i + 1) % baseLayers], unique.pop()], platform, format);
  return Array.from({ length: tags }, (_, i) => {
    const tag = `v${String(i).padStart(4, '0')}`;
    if (i % 4 === 3) {
      return { tag, image: imageIndex(PLATFORMS.map((platform) => imageOn(i, platform, 'oci'))) };
    }
    return { tag, image: imageOn(i, PLATFORMS[0], i % 2 === 0 ? 'oci' : 'docker') };
  });
}

/** Pushes tagged fixture images into `name`, uploading each distinct blob once. */
export async function pushTaggedImages(registryUrl, name, taggedImages) {
  const client = new RegistryClient({ url: registryUrl, concurrency: PUSH_CONCURRENCY });
  // One upload per digest; images sharing a blob wait for the same upload before their manifests go up.
  const uploads = new Map();
  const upload = (blob) => {
    if (!uploads.has(blob.digest)) {
      const bytes = blob.open ? blob.open() : blob.bytes;
      uploads.set(blob.digest, client.uploadBlob(name, blob.digest, blob.size, bytes));
    }
    return uploads.get(blob.digest);
  };
  const pushOne = async ({ tag, image }) => {
    await Promise.all(blobsOf(image).map(upload));
    for (const manifest of manifestsOf(image)) {
      const reference = manifest === image ? tag : manifest.digest;
      await client.putManifest(name, reference, manifest.bytes, manifest.mediaType);
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < taggedImages.length) await pushOne(taggedImages[next++]);
  };
  try {
    await Promise.all(Array.from({ length: PUSH_CONCURRENCY }, worker));
  } finally {
    await client.close();
  }
  return uploads.size;
}

/** A ustar header for one regular file of `size` bytes. */
function tarHeader(fileName, size) {
  const header = Buffer.alloc(512);
  const octal = (value, width) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  header.write(fileName, 0, 100, 'ascii');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0' + '00', 257, 'ascii');
  // The checksum is summed with its own field read as spaces.
  header.fill(' ', 148, 156);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/**
 * Writes an uncompressed tar layer holding one file of `mib` MiB of random bytes to `path`, one MiB at a
 * time, hashing as it goes: the layer never exists in memory whole. Returns its descriptor fields.
 */
export async function writeLargeLayer(path, mib) {
  const hash = createHash('sha256');
  const file = await open(path, 'w');
  const chunk = Buffer.alloc(MiB);
  const write = async (bytes) => {
    hash.update(bytes);
    await file.write(bytes);
  };
  try {
    // MiB multiples are whole tar records, so no padding sits between the content and the end marker.
    await write(tarHeader('bench/large.bin', mib * MiB));
    for (let i = 0; i < mib; i++) await write(randomFillSync(chunk));
    await write(Buffer.alloc(1024));
  } finally {
    await file.close();
  }
  const digest = `sha256:${hash.digest('hex')}`;
  return { mediaType: UNCOMPRESSED_OCI_LAYER, digest, diffId: digest, size: 512 + mib * MiB + 1024 };
}

/** Pushes a one-layer image whose layer is the file at `path` (streamed from disk) under `name:tag`. */
export async function pushLargeLayerImage(registryUrl, name, tag, path, layer) {
  const client = new RegistryClient({ url: registryUrl });
  try {
    await client.uploadBlob(name, layer.digest, layer.size, createReadStream(path));
    const image = layeredImage([layer], PLATFORMS[0], 'oci', layer.mediaType);
    await client.uploadBlob(name, image.config.digest, image.config.size, image.config.bytes);
    await client.putManifest(name, tag, image.bytes, image.mediaType);
  } finally {
    await client.close();
  }
}
