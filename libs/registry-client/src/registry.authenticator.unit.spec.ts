import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { HttpRequest, HttpResponse, HttpTransport } from './http.transport.js';
import { RegistryAuthenticator } from './registry.authenticator.js';
import { RegistryAuthError } from './registry.errors.js';

const operation = { method: 'GET', object: 'manifest', repository: 'x/y', reference: 'latest' };

function response(status: number, headers: Record<string, string> = {}, body = ''): HttpResponse {
  const stream = Readable.from([Buffer.from(body)]) as Readable & { dump(): Promise<void> };
  stream.dump = async () => void stream.destroy();
  return {
    status,
    headers,
    body: stream as unknown as HttpResponse['body'],
    url: new URL('https://r.example/v2/'),
  };
}

/** A token server answering from a script, recording what it was asked. */
function tokenServer(answer: (request: HttpRequest) => HttpResponse) {
  const requests: HttpRequest[] = [];
  const transport = {
    send: async (request: HttpRequest) => {
      requests.push(request);
      return answer(request);
    },
  } as unknown as HttpTransport;
  return { transport, requests };
}

const bearer = response(401, {
  'www-authenticate': 'Bearer realm="https://auth.example/token",service="reg"',
});
const credentials = { username: 'robot', password: 's3cret' };

describe('RegistryAuthenticator', () => {
  it('answers a Basic challenge once with credentials, and not at all without', async () => {
    const { transport } = tokenServer(() => response(500));
    const basic = response(401, { 'www-authenticate': 'Basic realm="r"' });
    const withCredentials = new RegistryAuthenticator(transport, credentials);
    expect(await withCredentials.authorization([], operation)).toBeUndefined();
    expect(withCredentials.learnChallenge(basic, undefined, [])).toBe(true);
    const header = await withCredentials.authorization([], operation);
    expect(header).toBe(`Basic ${Buffer.from('robot:s3cret').toString('base64')}`);
    // The same 401 after sending them means they were refused.
    expect(withCredentials.learnChallenge(basic, header, [])).toBe(false);
    expect(new RegistryAuthenticator(transport, undefined).learnChallenge(basic, undefined, [])).toBe(false);
  });

  it('fetches a token per scope set from the realm with the service, sending Basic credentials there only', async () => {
    const { transport, requests } = tokenServer(() =>
      response(200, {}, JSON.stringify({ token: 'T1', expires_in: 300 })),
    );
    const auth = new RegistryAuthenticator(transport, credentials);
    auth.learnChallenge(bearer, undefined, []);
    expect(await auth.authorization(['repository:x/y:pull'], operation)).toBe('Bearer T1');
    expect(await auth.authorization(['repository:x/y:pull'], operation)).toBe('Bearer T1');
    await auth.authorization(['repository:a:pull', 'repository:b:pull'], operation);
    await auth.authorization(['repository:b:pull', 'repository:a:pull'], operation);
    expect(requests.map((r) => r.url.href)).toEqual([
      'https://auth.example/token?service=reg&scope=repository%3Ax%2Fy%3Apull',
      'https://auth.example/token?service=reg&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull',
    ]);
    expect(requests[0]).toMatchObject({ kind: 'token', credentialOrigin: 'https://auth.example' });
    expect(requests[0].privateHeaders).toEqual({
      authorization: `Basic ${Buffer.from('robot:s3cret').toString('base64')}`,
    });
  });

  it('renews a token shortly before expires_in runs out (60 s when absent), accepting access_token', async () => {
    let now = 0;
    let issued = 0;
    const { transport } = tokenServer(() =>
      response(200, {}, JSON.stringify({ access_token: `T${++issued}` })),
    );
    const auth = new RegistryAuthenticator(transport, undefined, () => now);
    auth.learnChallenge(bearer, undefined, []);
    expect(await auth.authorization(['s'], operation)).toBe('Bearer T1');
    now = 53_999;
    expect(await auth.authorization(['s'], operation)).toBe('Bearer T1');
    now = 54_000;
    expect(await auth.authorization(['s'], operation)).toBe('Bearer T2');
  });

  it('drops the token a registry refused, so the next request fetches a new one', async () => {
    let issued = 0;
    const { transport } = tokenServer(() => response(200, {}, JSON.stringify({ token: `T${++issued}` })));
    const auth = new RegistryAuthenticator(transport, credentials);
    auth.learnChallenge(bearer, undefined, ['s']);
    const first = await auth.authorization(['s'], operation);
    expect(auth.learnChallenge(bearer, first, ['s'])).toBe(true);
    expect(await auth.authorization(['s'], operation)).toBe('Bearer T2');
  });

  it('shares one token request among concurrent callers', async () => {
    const { transport, requests } = tokenServer(() => response(200, {}, JSON.stringify({ token: 'T' })));
    const auth = new RegistryAuthenticator(transport, credentials);
    auth.learnChallenge(bearer, undefined, []);
    await Promise.all([1, 2, 3].map(() => auth.authorization(['s'], operation)));
    expect(requests).toHaveLength(1);
  });

  it('reports refused credentials as RegistryAuthError naming the token server, never the password', async () => {
    const { transport } = tokenServer(() => response(401, {}, '{"details":"bad"}'));
    const auth = new RegistryAuthenticator(transport, credentials);
    auth.learnChallenge(bearer, undefined, []);
    const error = await auth.authorization(['repository:x/y:pull'], operation).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toBe(
      'GET token for repository:x/y:pull from https://auth.example/token: 401 (the token server refused the credentials (needed for manifest x/y))',
    );
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('keeps the token cache bounded', async () => {
    let issued = 0;
    const { transport, requests } = tokenServer(() =>
      response(200, {}, JSON.stringify({ token: `T${++issued}` })),
    );
    const auth = new RegistryAuthenticator(transport, credentials);
    auth.learnChallenge(bearer, undefined, []);
    for (let i = 0; i < 600; i++) await auth.authorization([`repository:r${i}:pull`], operation);
    // The oldest entries made room; the newest are still cached.
    await auth.authorization(['repository:r599:pull'], operation);
    expect(requests).toHaveLength(600);
    await auth.authorization(['repository:r0:pull'], operation);
    expect(requests).toHaveLength(601);
  });
});
