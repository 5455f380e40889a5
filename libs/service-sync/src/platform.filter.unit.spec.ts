import { describe, expect, it } from 'vitest';
import { describePlatform, isPlatformKept } from './platform.filter.js';

const arm64v8 = { os: 'linux', architecture: 'arm64', variant: 'v8' };

describe('isPlatformKept', () => {
  it('keeps every platform when the remote filters none', () => {
    expect(isPlatformKept(arm64v8, null)).toBe(true);
  });

  it('keeps a platform matching os and architecture, and the variant when the filter names one', () => {
    expect(isPlatformKept(arm64v8, [{ os: 'linux', architecture: 'arm64' }])).toBe(true);
    expect(isPlatformKept(arm64v8, [{ os: 'linux', architecture: 'arm64', variant: 'v8' }])).toBe(true);
    expect(isPlatformKept(arm64v8, [{ os: 'linux', architecture: 'arm64', variant: 'v7' }])).toBe(false);
    expect(isPlatformKept(arm64v8, [{ os: 'linux', architecture: 'amd64' }])).toBe(false);
  });

  it('keeps list entries that name no platform (attestations, artifacts)', () => {
    expect(isPlatformKept(undefined, [{ os: 'linux', architecture: 'amd64' }])).toBe(true);
  });

  it('describes a platform the way users write it', () => {
    expect(describePlatform(arm64v8)).toBe('linux/arm64/v8');
    expect(describePlatform({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
  });
});
