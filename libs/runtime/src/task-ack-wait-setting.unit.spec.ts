import { describe, expect, it } from 'vitest';
import { DEFAULT_TASK_ACK_WAIT_MS, loadSettings, type SettingsDefaults } from './settings.js';

const defaults: SettingsDefaults = {
  bus: 'memory',
  eventStore: 'sqlite',
  blobStore: 'fs',
  httpPortVariable: 'WHARF_HTTP_PORT',
  httpPort: 0,
};

describe('WHARF_TASK_ACK_WAIT_MS', () => {
  it('gives tasks 30 minutes unless set, and the value given when set', () => {
    expect(loadSettings({}, defaults).taskAckWaitMs).toBe(DEFAULT_TASK_ACK_WAIT_MS);
    expect(DEFAULT_TASK_ACK_WAIT_MS).toBe(30 * 60_000);
    expect(loadSettings({ WHARF_TASK_ACK_WAIT_MS: '3000' }, defaults).taskAckWaitMs).toBe(3000);
  });

  it.each(['0', '-5', '1.5', 'soon'])('refuses %s, naming the variable', (value) => {
    expect(() => loadSettings({ WHARF_TASK_ACK_WAIT_MS: value }, defaults)).toThrow(
      /^WHARF_TASK_ACK_WAIT_MS: must be a positive whole number of milliseconds/,
    );
  });
});
