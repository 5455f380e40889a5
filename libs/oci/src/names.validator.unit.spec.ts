import { describe, expect, it } from 'vitest';
import { isValidRepositoryName, isValidTag } from './index.js';

describe('isValidTag', () => {
  it.each(['latest', 'v1.2.3', '_private', '1', 'A-b_c.d', 'x'.repeat(128)])('accepts %s', (tag) => {
    expect(isValidTag(tag)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['leading dot', '.hidden'],
    ['leading dash', '-rc'],
    ['129 characters', 'x'.repeat(129)],
    ['a colon', 'a:b'],
    ['an at sign', 'a@sha256'],
    ['a slash', 'a/b'],
    ['a space', 'a b'],
  ])('refuses %s', (_case, tag) => {
    expect(isValidTag(tag)).toBe(false);
  });
});

describe('isValidRepositoryName', () => {
  it.each(['alpine', 'library/alpine', 'a/b/c', 'my-org/my__app', 'a.b_c--d/e', 'x'.repeat(255)])(
    'accepts %s',
    (name) => {
      expect(isValidRepositoryName(name)).toBe(true);
    },
  );

  it.each([
    ['empty', ''],
    ['uppercase', 'Library/alpine'],
    ['a leading slash', '/alpine'],
    ['a trailing slash', 'alpine/'],
    ['an empty component', 'a//b'],
    ['a triple underscore', 'a___b'],
    ['a leading separator in a component', 'a/-b'],
    ['a port', 'localhost:5000/a'],
    ['256 characters', 'x'.repeat(256)],
  ])('refuses %s', (_case, name) => {
    expect(isValidRepositoryName(name)).toBe(false);
  });
});
