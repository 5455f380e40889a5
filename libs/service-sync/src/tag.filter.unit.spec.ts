import { describe, expect, it } from 'vitest';
import { TagFilter } from './tag.filter.js';

describe('TagFilter', () => {
  it('takes every tag when neither list is set', () => {
    const filter = new TagFilter(null, null);
    expect(['latest', '1.0', 'a-b_c'].every((tag) => filter.accepts(tag))).toBe(true);
  });

  it('takes only tags matching an include glob, `*` spanning any run and `?` one character', () => {
    const filter = new TagFilter(['1.*', 'v?'], null);
    expect(['1.0', '1.2.3', 'v1', 'vX'].filter((tag) => filter.accepts(tag))).toEqual([
      '1.0',
      '1.2.3',
      'v1',
      'vX',
    ]);
    expect(['latest', '21.0', 'v10', 'v'].some((tag) => filter.accepts(tag))).toBe(false);
  });

  it('drops tags matching an exclude glob, even when included', () => {
    const filter = new TagFilter(['*'], ['*-rc?', 'latest']);
    expect(['1.0', '1.0-rc1', 'latest', '1.0-rc10'].filter((tag) => filter.accepts(tag))).toEqual([
      '1.0',
      '1.0-rc10',
    ]);
  });

  it('treats regular expression characters in a pattern literally', () => {
    const filter = new TagFilter(['1.0'], null);
    expect(filter.accepts('1.0')).toBe(true);
    expect(filter.accepts('1x0')).toBe(false);
  });

  it('takes nothing when the include list is empty', () => {
    expect(new TagFilter([], null).accepts('latest')).toBe(false);
  });
});
