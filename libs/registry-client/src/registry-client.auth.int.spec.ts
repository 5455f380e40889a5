import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage, randomImage, startDockerRegistry, type StartedDockerRegistry } from '@wharf/testing';
import { RegistryAuthError, RegistryClient, type RegistryClientOptions, type RequestKind } from './index.js';

const REPOSITORY = 'wharf/private';
const WRONG_PASSWORD = 'not-the-password-9f2c';

function counting(options: RegistryClientOptions): { client: RegistryClient; kinds: RequestKind[] } {
  const kinds: RequestKind[] = [];
  return {
    client: new RegistryClient({ ...options, onRequest: (_method, kind) => kinds.push(kind) }),
    kinds,
  };
}

function countOf(kinds: readonly RequestKind[], kind: RequestKind): number {
  return kinds.filter((k) => k === kind).length;
}

describe('RegistryClient with htpasswd (Basic) auth', () => {
  let registry: StartedDockerRegistry;

  beforeAll(async () => {
    registry = await startDockerRegistry({ auth: 'htpasswd' });
    await pushImage(registry, REPOSITORY, 'latest', randomImage({ layers: 1 }));
  });
  afterAll(() => registry?.stop());

  it('reports Basic from ping without credentials, and refuses wrong ones like docker login', async () => {
    const anonymous = new RegistryClient({ url: registry.url });
    expect(await anonymous.ping()).toMatchObject({ authScheme: 'basic' });
    const wrong = new RegistryClient({
      url: registry.url,
      username: registry.username,
      password: WRONG_PASSWORD,
    });
    const error = await wrong.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect((error as Error).message).not.toContain(WRONG_PASSWORD);
    await Promise.all([anonymous.close(), wrong.close()]);
  });

  it('fails a pull with RegistryAuthError when credentials are refused or missing, after one retry', async () => {
    const { client: wrong, kinds } = counting({
      url: registry.url,
      username: registry.username,
      password: WRONG_PASSWORD,
    });
    const refused = await wrong.getManifest(REPOSITORY, 'latest').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistryAuthError);
    expect((refused as Error).message).toMatch(
      /^GET manifest wharf\/private:latest from .*: 401 UNAUTHORIZED/,
    );
    expect((refused as Error).message).not.toContain(WRONG_PASSWORD);
    // Anonymous first (learning the challenge), then once with the credentials; never a third time.
    expect(countOf(kinds, 'manifest')).toBe(2);

    const anonymous = new RegistryClient({ url: registry.url });
    const missing = await anonymous.getManifest(REPOSITORY, 'latest').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RegistryAuthError);
    expect((missing as Error).message).toContain('requires credentials');
    await Promise.all([wrong.close(), anonymous.close()]);
  });

  it('sends the credentials from the second request on without waiting for another challenge', async () => {
    const { client, kinds } = counting({
      url: registry.url,
      username: registry.username,
      password: registry.password,
    });
    for (let i = 0; i < 3; i++) await client.headManifest(REPOSITORY, 'latest');
    expect(countOf(kinds, 'manifest')).toBe(4);
    await client.close();
  });
});

describe('RegistryClient with token (Bearer) auth', () => {
  let registry: StartedDockerRegistry;
  const credentials = (): RegistryClientOptions => ({
    url: registry.url,
    username: registry.username,
    password: registry.password,
  });

  beforeAll(async () => {
    registry = await startDockerRegistry({ auth: 'token' });
    await pushImage(registry, REPOSITORY, 'latest', randomImage({ layers: 1 }));
    await pushImage(registry, 'wharf/other', 'latest', randomImage({ layers: 1 }));
  });
  afterAll(() => registry?.stop());

  function issuer() {
    const tokenIssuer = registry.tokenIssuer;
    if (!tokenIssuer) throw new Error('the token registry has no issuer');
    return tokenIssuer;
  }

  it('logs in through the token server on ping and refuses wrong credentials', async () => {
    const before = issuer().requests.length;
    const client = new RegistryClient(credentials());
    expect(await client.ping()).toMatchObject({ authScheme: 'bearer' });
    expect(issuer().requests.slice(before)).toEqual([
      { scopes: [], service: 'wharf-test-registry', identity: 'user' },
    ]);

    const wrong = new RegistryClient({ ...credentials(), password: WRONG_PASSWORD });
    const error = await wrong.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect(error).toMatchObject({ status: 401 });
    expect((error as Error).message).toContain(`from ${issuer().realm}`);
    expect((error as Error).message).not.toContain(WRONG_PASSWORD);
    await Promise.all([client.close(), wrong.close()]);
  });

  it('fails a pull with RegistryAuthError when the token server refuses the credentials', async () => {
    const wrong = new RegistryClient({ ...credentials(), password: WRONG_PASSWORD });
    const error = await wrong.getManifest(REPOSITORY, 'latest').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toContain(`repository:${REPOSITORY}:pull`);
    await wrong.close();
  });

  it('pulls anonymously only where the token server grants anonymous pull', async () => {
    const anonymous = new RegistryClient({ url: registry.url });
    issuer().anonymousPull = false;
    await expect(anonymous.getManifest(REPOSITORY, 'latest')).rejects.toBeInstanceOf(RegistryAuthError);
    issuer().anonymousPull = true;
    try {
      const before = issuer().requests.length;
      const manifest = await anonymous.getManifest(REPOSITORY, 'latest');
      expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(
        issuer()
          .requests.slice(before)
          .map((request) => request.identity),
      ).toEqual(['anonymous']);
    } finally {
      issuer().anonymousPull = false;
      await anonymous.close();
    }
  });

  it('caches one token per scope', async () => {
    const { client, kinds } = counting(credentials());
    const before = issuer().requests.length;
    for (let i = 0; i < 5; i++) await client.headManifest(REPOSITORY, 'latest');
    await Promise.all([1, 2, 3].map(() => client.headManifest('wharf/other', 'latest')));
    expect(countOf(kinds, 'token')).toBe(2);
    expect(
      issuer()
        .requests.slice(before)
        .map((request) => request.scopes),
    ).toEqual([[`repository:${REPOSITORY}:pull`], ['repository:wharf/other:pull']]);
    await client.close();
  });

  it('refreshes a token that expires mid-run', async () => {
    issuer().expiresInSeconds = 1;
    const { client, kinds } = counting(credentials());
    try {
      await client.getManifest(REPOSITORY, 'latest');
      await client.getManifest(REPOSITORY, 'latest');
      expect(countOf(kinds, 'token')).toBe(1);
      await sleep(1_100);
      const manifest = await client.getManifest(REPOSITORY, 'latest');
      expect(manifest.digest).toMatch(/^sha256:/);
      expect(countOf(kinds, 'token')).toBe(2);
    } finally {
      issuer().expiresInSeconds = 300;
      await client.close();
    }
  });

  it('drops a cached token the registry refuses and fetches a new one, but only once', async () => {
    const { client, kinds } = counting(credentials());
    // The first token is already expired (as after a revocation): the registry answers 401.
    issuer().issueExpiredTokens(1);
    const manifest = await client.getManifest(REPOSITORY, 'latest');
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(countOf(kinds, 'token')).toBe(2);
    expect(countOf(kinds, 'manifest')).toBe(3);

    const { client: stubborn, kinds: stubbornKinds } = counting(credentials());
    issuer().issueExpiredTokens(10);
    try {
      await expect(stubborn.getManifest(REPOSITORY, 'latest')).rejects.toBeInstanceOf(RegistryAuthError);
      expect(countOf(stubbornKinds, 'token')).toBe(2);
    } finally {
      issuer().issueExpiredTokens(0);
      await Promise.all([client.close(), stubborn.close()]);
    }
  });
});
