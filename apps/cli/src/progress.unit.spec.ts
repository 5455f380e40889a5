import { describe, expect, it } from 'vitest';
import { bar, describeReports, summarizeReports, type ProgressReport } from './progress.js';

const report = (code: string, state: string, done: number, total: number | null): ProgressReport => ({
  message: { tags: 'Listing tags', blobs: 'Downloading blobs', bytes: 'Downloading bytes' }[code]!,
  code: `sync.${code}`,
  state,
  done,
  total,
});
const task = { name: 'pulp_container.app.tasks.synchronize', state: 'running' };

describe('progress bar', () => {
  it('fills in proportion and stays empty while the total is unknown', () => {
    expect(bar(0, 10)).toBe(`[${'-'.repeat(30)}] 0%`);
    expect(bar(5, 10)).toBe(`[${'#'.repeat(15)}${'-'.repeat(15)}] 50%`);
    expect(bar(10, 10)).toBe(`[${'#'.repeat(30)}] 100%`);
    expect(bar(3, null)).toBe(`[${'-'.repeat(30)}]`);
  });

  it('follows the stage at work and carries the bytes moved so far', () => {
    const reports = [
      report('tags', 'completed', 2, 2),
      report('blobs', 'running', 3, 4),
      report('bytes', 'running', 3 * 1024 * 1024, null),
    ];
    expect(describeReports(reports, task)).toBe(
      `[${'#'.repeat(23)}${'-'.repeat(7)}] 75% Downloading blobs 3/4, 3.0 MiB`,
    );
  });

  it('names the task and its state when it reports no progress', () => {
    expect(describeReports([], { name: 'pulpcore.app.tasks.upload.commit', state: 'waiting' })).toBe(
      `[${'-'.repeat(30)}] commit waiting`,
    );
    expect(describeReports([], { name: 'pulpcore.app.tasks.upload.commit', state: 'completed' })).toMatch(
      /^\[#{30}\] 100% commit completed$/,
    );
  });

  it('summarizes what a finished task counted, leaving out stages that did nothing', () => {
    const reports = [
      report('tags', 'completed', 2, 2),
      report('blobs', 'completed', 0, 0),
      report('bytes', 'completed', 1536, null),
    ];
    expect(summarizeReports(reports)).toBe('tags 2, 1.5 KiB');
  });
});
