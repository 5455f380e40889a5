import { describe, expect, it } from 'vitest';
import { parseAuthChallenges } from './auth-challenge.parser.js';

describe('parseAuthChallenges', () => {
  it('reads a Bearer challenge as registries send it', () => {
    const header =
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"';
    expect(parseAuthChallenges(header)).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.docker.io/token',
          service: 'registry.docker.io',
          scope: 'repository:library/alpine:pull',
        },
      },
    ]);
  });

  it('keeps commas and escaped quotes inside quoted values, and lowercases scheme and names', () => {
    const [challenge] = parseAuthChallenges(
      'BEARER Realm="https://a/token", Scope="repository:x:pull,push", error="say \\"hi\\""',
    );
    expect(challenge).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://a/token', scope: 'repository:x:pull,push', error: 'say "hi"' },
    });
  });

  it('separates several challenges in one header and across header lines', () => {
    expect(parseAuthChallenges('Basic realm="registry", Bearer realm="https://a/token",service=reg')).toEqual(
      [
        { scheme: 'basic', params: { realm: 'registry' } },
        { scheme: 'bearer', params: { realm: 'https://a/token', service: 'reg' } },
      ],
    );
    expect(parseAuthChallenges(['Basic realm="x"', 'Negotiate']).map((c) => c.scheme)).toEqual([
      'basic',
      'negotiate',
    ]);
  });

  it('answers nothing for a missing or empty header', () => {
    expect(parseAuthChallenges(undefined)).toEqual([]);
    expect(parseAuthChallenges('  ,  ')).toEqual([]);
  });
});
