import { describe, expect, it } from 'vitest';
import type { ProgressReport } from '@wharf/contracts';
import { SyncProgress } from './sync.progress.js';

describe('SyncProgress', () => {
  const recorder = () => {
    const sent: (readonly ProgressReport[])[] = [];
    return { sent, progress: new SyncProgress(async (reports) => void sent.push(reports)) };
  };

  it('reports every stage, with totals growing as content is discovered', async () => {
    const { sent, progress } = recorder();
    progress.start('manifests', 1);
    progress.expect('manifests', 2);
    progress.advance('manifests', 3);
    progress.complete('manifests');
    progress.start('bytes');
    progress.advance('bytes', 1024);
    await progress.report(true);
    const byCode = new Map(sent[0]!.map((report) => [report.code, report]));
    expect(byCode.get('sync.downloading.manifests')).toMatchObject({ state: 'completed', total: 3, done: 3 });
    expect(byCode.get('sync.downloading.bytes')).toMatchObject({ state: 'running', total: null, done: 1024 });
    expect(byCode.get('sync.listing.tags')).toMatchObject({ state: 'waiting', done: 0 });
  });

  it('sends at most one unforced report per half second, and forced ones always', async () => {
    const { sent, progress } = recorder();
    await progress.report();
    await progress.report();
    await progress.report();
    expect(sent).toHaveLength(1);
    await progress.report(true);
    expect(sent).toHaveLength(2);
  });

  it('sends a snapshot, not the live counters', async () => {
    const { sent, progress } = recorder();
    progress.start('blobs', 2);
    await progress.report(true);
    progress.advance('blobs');
    const blobs = sent[0]!.find((report) => report.code === 'sync.downloading.blobs');
    expect(blobs?.done).toBe(0);
  });
});
