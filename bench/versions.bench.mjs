// `npm run bench -- versions [tags]`: a repository version of 200,000 units (50,000 tags, 50,000 manifests,
// 100,000 blobs by default; pass another tag count to scale), driven through the content service's bus
// queries on the embedded adapters (SQLite, files) and, when MONGODB_URL is set, on MongoDB. Reports the time
// to record the version, to add one tag on top of it, to list a page of its tags, and the process's memory.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobKey, manifestKey, tagKey } from '@wharf/contracts';
import { ContentIndex, MessageBus } from '@wharf/ports';
import { loadSettings } from '@wharf/runtime';
import { createContentServiceContext } from '@wharf/service-content';
import { printTable, rssMiB, timed } from './lib/report.mjs';

const DEFAULT_TAGS = 50_000;
const CATALOG_BATCH = 5_000;
const PAGE = 100;
/** Big writes take longer than the default query timeout. */
const WRITE_TIMEOUT_MS = 10 * 60_000;

const digestOf = (text) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/**
 * Synthetic catalog units: tag i → manifest i → blobs 2i and 2i+1. They never touch the blob store (only
 * the version index and the catalog are measured), so they are recorded into the index directly.
 */
function* syntheticUnits(tags, salt, createdAt) {
  for (let i = 0; i < tags; i++) {
    const blobs = [digestOf(`${salt}-blob-${2 * i}`), digestOf(`${salt}-blob-${2 * i + 1}`)];
    const manifest = digestOf(`${salt}-manifest-${i}`);
    for (const digest of blobs) {
      yield { key: blobKey(digest), type: 'blob', digest, size: 1024, references: [], createdAt };
    }
    yield {
      key: manifestKey(manifest),
      type: 'manifest',
      digest: manifest,
      size: 512,
      references: blobs.map(blobKey),
      createdAt,
    };
    const name = `t${i}`;
    yield {
      key: tagKey(name, manifest),
      type: 'tag',
      digest: manifest,
      name,
      references: [manifestKey(manifest)],
      createdAt,
    };
  }
}

async function recordCatalog(index, units) {
  let batch = [];
  for (const unit of units) {
    batch.push(unit);
    if (batch.length === CATALOG_BATCH) {
      await index.recordUnits(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await index.recordUnits(batch);
}

/** Highest RSS seen while `fn` runs, sampled every 50 ms. */
async function withPeakRss(fn) {
  let peak = rssMiB();
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB())), 50);
  try {
    const result = await fn();
    return { ...result, peakMiB: Math.max(peak, rssMiB()) };
  } finally {
    clearInterval(timer);
  }
}

async function measure(adapters, env, tags) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-versions-'));
  const settings = loadSettings(
    { WHARF_DATA_DIR: dataDir, ...env },
    {
      bus: 'memory',
      eventStore: 'sqlite',
      blobStore: 'fs',
      httpPortVariable: 'WHARF_HTTP_PORT',
      httpPort: 0,
    },
  );
  const app = await createContentServiceContext({ settings });
  const bus = app.get(MessageBus);
  const ask = (subject, request) => bus.request(subject, request, { timeoutMs: WRITE_TIMEOUT_MS });
  const rows = [];
  try {
    const salt = randomBytes(6).toString('hex');
    const repository = await ask('content.repository.create', { name: `bench-${salt}` });
    const catalog = await timed(() =>
      recordCatalog(app.get(ContentIndex), syntheticUnits(tags, salt, new Date().toISOString())),
    );
    rows.push([adapters, `record ${tags * 4} units in the catalog`, catalog.ms.toFixed(0), rssMiB()]);

    const allTags = Array.from({ length: tags }, (_, i) =>
      tagKey(`t${i}`, digestOf(`${salt}-manifest-${i}`)),
    );
    const recorded = await withPeakRss(() =>
      timed(() => ask('content.version.add', { repositoryId: repository.id, units: allTags })),
    );
    const present = recorded.value.version.contentSummary.present;
    rows.push([
      adapters,
      `record version 1 (${present.tag} tags, ${present.manifest} manifests, ${present.blob} blobs)`,
      recorded.ms.toFixed(0),
      `${rssMiB()} (peak ${recorded.peakMiB})`,
    ]);

    const oneTag = await timed(() =>
      ask('content.version.tag', {
        repositoryId: repository.id,
        tag: 'extra',
        digest: digestOf(`${salt}-manifest-${tags - 1}`),
      }),
    );
    rows.push([adapters, 'add one tag on top (version 2)', oneTag.ms.toFixed(0), rssMiB()]);

    const firstPage = await timed(() =>
      ask('content.version.units', {
        repositoryId: repository.id,
        version: 2,
        membership: 'present',
        type: 'tag',
        limit: PAGE,
      }),
    );
    rows.push([adapters, `list one page (${PAGE}) of its tags`, firstPage.ms.toFixed(1), rssMiB()]);

    const middle = await timed(() =>
      ask('content.unit.list', {
        type: 'tag',
        repositoryVersion: { repositoryId: repository.id, version: 1 },
        afterKey: tagKey(`t${Math.floor(tags / 2)}`, ''),
        limit: PAGE,
      }),
    );
    rows.push([
      adapters,
      `list a middle page (${PAGE}) of version 1's tag units`,
      middle.ms.toFixed(1),
      rssMiB(),
    ]);

    const diff = await timed(() =>
      ask('content.version.diff', { repositoryId: repository.id, from: 1, to: 2, limit: PAGE }),
    );
    rows.push([adapters, 'diff version 1 → 2', diff.ms.toFixed(1), rssMiB()]);
    return rows;
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(args) {
  const tags = Number(args[0] ?? DEFAULT_TAGS);
  if (!Number.isInteger(tags) || tags < 1)
    throw new Error(`versions bench: tag count ${args[0]} is not a positive integer`);
  const rows = await measure('SQLite', {}, tags);
  if (process.env.MONGODB_URL) {
    rows.push(
      ...(await measure(
        'MongoDB',
        {
          WHARF_EVENT_STORE: 'mongodb',
          MONGODB_URL: process.env.MONGODB_URL,
          MONGODB_DATABASE: `wharf_bench_${randomBytes(4).toString('hex')}`,
        },
        tags,
      )),
    );
  } else {
    rows.push(['MongoDB', 'skipped: MONGODB_URL is not set', '', '']);
  }
  printTable(
    `Repository version of ${tags * 4} units through the content service (Node ${process.version})`,
    ['adapters', 'step', 'ms', 'RSS MiB'],
    rows,
  );
}
