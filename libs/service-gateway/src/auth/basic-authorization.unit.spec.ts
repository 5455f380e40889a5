import { describe, expect, it } from 'vitest';
import { AdminCredentials } from './admin-credentials.js';
import { parseBasicAuthorization } from './basic-authorization.js';

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('parseBasicAuthorization', () => {
  it('reads user and password, splitting at the first colon only', () => {
    expect(parseBasicAuthorization(`Basic ${encode('admin:pa:ss wörd')}`)).toEqual({
      kind: 'credentials',
      username: 'admin',
      password: 'pa:ss wörd',
    });
    expect(parseBasicAuthorization(`basic ${encode('admin:')}`)).toEqual({
      kind: 'credentials',
      username: 'admin',
      password: '',
    });
  });

  it('treats no header and other schemes as no credentials', () => {
    expect(parseBasicAuthorization(undefined)).toEqual({ kind: 'absent' });
    expect(parseBasicAuthorization('')).toEqual({ kind: 'absent' });
    expect(parseBasicAuthorization('Bearer abc.def')).toEqual({ kind: 'absent' });
  });

  it("names what is wrong with a malformed Basic header, in Django REST framework's words", () => {
    expect(parseBasicAuthorization('Basic')).toEqual({
      kind: 'malformed',
      problem: 'Invalid basic header. No credentials provided.',
    });
    expect(parseBasicAuthorization('Basic abc def')).toEqual({
      kind: 'malformed',
      problem: 'Invalid basic header. Credentials string should not contain spaces.',
    });
    for (const token of ['%%%', encode('no-colon-here')]) {
      expect(parseBasicAuthorization(`Basic ${token}`)).toEqual({
        kind: 'malformed',
        problem: 'Invalid basic header. Credentials not correctly base64 encoded.',
      });
    }
  });
});

describe('AdminCredentials', () => {
  const admin = new AdminCredentials('admin', 's3cret-Password');

  it('accepts only the exact user and password', () => {
    expect(admin.matches('admin', 's3cret-Password')).toBe(true);
    expect(admin.matches('admin', 's3cret-password')).toBe(false);
    expect(admin.matches('admin', 's3cret-Password ')).toBe(false);
    expect(admin.matches('admin', '')).toBe(false);
    expect(admin.matches('Admin', 's3cret-Password')).toBe(false);
  });
});
