import { describe, expect, it } from 'vitest';
import { nextPageUrl } from './link-header.parser.js';

const page = new URL('https://registry.example/v2/x/tags/list?n=2');

describe('nextPageUrl', () => {
  it('resolves a relative next link against the page URL', () => {
    expect(nextPageUrl('</v2/x/tags/list?last=b&n=2>; rel="next"', page)?.href).toBe(
      'https://registry.example/v2/x/tags/list?last=b&n=2',
    );
  });

  it('picks rel=next among several links, quoted or not, with other relation types', () => {
    const header =
      '<https://registry.example/first>; rel="first", <https://cdn.example/p2>; title="x"; rel=next';
    expect(nextPageUrl(header, page)?.href).toBe('https://cdn.example/p2');
    expect(nextPageUrl('</p3>; rel="prefetch next"', page)?.href).toBe('https://registry.example/p3');
  });

  it('answers undefined when there is no next page', () => {
    expect(nextPageUrl(undefined, page)).toBeUndefined();
    expect(nextPageUrl('</v2/x/tags/list?n=2>; rel="prev"', page)).toBeUndefined();
  });
});
