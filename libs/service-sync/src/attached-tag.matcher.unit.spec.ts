import { describe, expect, it } from 'vitest';
import { attachedTagSubject } from './attached-tag.matcher.js';

const HEX = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);

describe('attachedTagSubject', () => {
  it.each(['.sig', '.att', '.sbom', ''])('reads the subject digest from a sha256-<hex>%s tag', (suffix) => {
    expect(attachedTagSubject(`sha256-${HEX}${suffix}`)).toBe(`sha256:${HEX}`);
  });

  it.each([
    ['an ordinary tag', 'latest'],
    ['another suffix', `sha256-${HEX}.txt`],
    ['a short digest', `sha256-${HEX.slice(1)}.sig`],
    ['upper-case hex', `sha256-${HEX.toUpperCase()}.sig`],
    ['another algorithm', `sha512-${HEX}.sig`],
  ])('ignores %s', (_what, tag) => {
    expect(attachedTagSubject(tag)).toBeUndefined();
  });
});
