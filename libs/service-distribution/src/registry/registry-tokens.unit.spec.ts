import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { RegistryTokens } from './registry-tokens.js';

describe('registry bearer tokens', () => {
  const tokens = new RegistryTokens(randomBytes(32));
  const now = new Date('2026-01-01T00:00:00Z');
  const grant = { subject: 'admin', pull: ['team/app'], expiresAt: now.getTime() / 1000 + 300 };

  it('carry their grant until they expire', () => {
    const token = tokens.issue(grant);
    expect(tokens.verify(token, now)).toEqual(grant);
    expect(tokens.verify(token, new Date(now.getTime() + 300_000))).toBeUndefined();
  });

  it('are refused when altered or made with another key', () => {
    const token = tokens.issue(grant);
    const [, mac] = token.split('.');
    const widened = Buffer.from(JSON.stringify({ ...grant, pull: ['team/app', 'secret'] })).toString(
      'base64url',
    );
    expect(tokens.verify(`${widened}.${mac}`, now)).toBeUndefined();
    expect(new RegistryTokens(randomBytes(32)).verify(token, now)).toBeUndefined();
    expect(tokens.verify('not-a-token', now)).toBeUndefined();
  });

  it('carry push rights only when issued with them; a token whose push list was tampered with is refused', () => {
    const pusher = { ...grant, push: ['team/app'] };
    expect(tokens.verify(tokens.issue(pusher), now)?.push).toEqual(['team/app']);
    expect(tokens.verify(tokens.issue(grant), now)?.push).toBeUndefined();
    const [, mac] = tokens.issue(grant).split('.');
    const widened = Buffer.from(JSON.stringify(pusher)).toString('base64url');
    expect(tokens.verify(`${widened}.${mac}`, now)).toBeUndefined();
  });
});
