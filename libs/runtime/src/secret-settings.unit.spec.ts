import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { loadSettings, type SettingsDefaults } from './settings.js';
import { SecretBox } from './secret-box.js';

const declaringBoth: SettingsDefaults = {
  bus: 'memory',
  eventStore: 'sqlite',
  blobStore: 'fs',
  httpPortVariable: 'WHARF_API_PORT',
  httpPort: 0,
  requiredSecrets: ['WHARF_ADMIN_PASSWORD', 'WHARF_SECRET_KEY'],
};
const declaringNone: SettingsDefaults = { ...declaringBoth, requiredSecrets: undefined };
const key = SecretBox.generateKey();

describe('secret settings', () => {
  it('requires the secrets a process declares, naming the variable', () => {
    expect(() => loadSettings({ WHARF_SECRET_KEY: key }, declaringBoth)).toThrow(
      /^WHARF_ADMIN_PASSWORD: is required: it is the password of the REST API/,
    );
    expect(() => loadSettings({ WHARF_ADMIN_PASSWORD: 'pw' }, declaringBoth)).toThrow(
      /^WHARF_SECRET_KEY: is required/,
    );
  });

  it('leaves them optional for processes that do not declare them', () => {
    const settings = loadSettings({}, declaringNone);
    expect(settings.adminPassword).toBeUndefined();
    expect(settings.secretKey).toBeUndefined();
    expect(settings.adminUsername).toBe('admin');
  });

  it('rejects a secret key that is not 32 bytes of base64 without echoing it', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    const load = () => loadSettings({ WHARF_ADMIN_PASSWORD: 'pw', WHARF_SECRET_KEY: short }, declaringBoth);
    expect(load).toThrow(/^WHARF_SECRET_KEY: must be 32 random bytes in base64/);
    expect(load).not.toThrow(short);
  });

  it('rejects an admin username with a colon', () => {
    expect(() => loadSettings({ WHARF_ADMIN_USERNAME: 'a:b' }, declaringNone)).toThrow(
      /WHARF_ADMIN_USERNAME: must not contain a colon/,
    );
  });

  it('keeps secret values out of logs and JSON', () => {
    const settings = loadSettings(
      { WHARF_ADMIN_PASSWORD: 'correct horse', WHARF_SECRET_KEY: key, WHARF_ADMIN_USERNAME: 'root' },
      declaringBoth,
    );
    expect(settings.adminPassword?.reveal()).toBe('correct horse');
    expect(settings.secretKey?.reveal()).toBe(key);
    expect(settings.adminUsername).toBe('root');
    for (const rendered of [inspect(settings), JSON.stringify(settings), `${settings.adminPassword}`]) {
      expect(rendered).not.toContain('correct horse');
      expect(rendered).not.toContain(key);
    }
  });
});
