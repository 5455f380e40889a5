import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD, TEST_SECRET_KEY, basicAuthorization } from '@wharf/testing';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';

describe.each([
  ['all-in-one', startAllInOne],
  ['multi-process', startMultiProcess],
] as const)('a request travels through Wharf (%s)', (mode, start) => {
  let wharf: WharfDeployment;
  const api = (path: string, init?: RequestInit) => wharf.api(path, init);
  const postJson = (path: string, body: string) =>
    api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

  beforeAll(async () => {
    wharf = await start();
  }, 90_000);

  afterAll(async () => {
    await wharf?.stop();
  });

  it('creates a repository, reads it back, and the audit log records the event', async () => {
    const created = await postJson(REPOSITORIES, JSON.stringify({ name: 'demo' }));
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/json');
    const repository = (await created.json()) as Record<string, string>;
    expect(repository.name).toBe('demo');
    expect(repository.pulp_href).toMatch(
      /^\/pulp\/api\/v3\/repositories\/container\/container\/[0-9a-f-]{36}\/$/,
    );
    expect(repository.latest_version_href).toBe(`${repository.pulp_href}versions/0/`);

    const read = await api(repository.pulp_href!);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(repository);

    const audited = await eventually('the audit record of RepositoryCreated', async () => {
      const page = (await (await api('/pulp/api/v3/audit/?event_type=RepositoryCreated')).json()) as {
        results: { data: { repositoryId: string; name: string } }[];
      };
      return page.results.find((r) => repository.pulp_href!.includes(r.data.repositoryId));
    });
    expect(audited.data.name).toBe('demo');
  });

  it('refuses a second repository of the same name with a 400 naming the field', async () => {
    await postJson(REPOSITORIES, JSON.stringify({ name: 'twice' }));
    const again = await postJson(REPOSITORIES, JSON.stringify({ name: 'twice' }));
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ name: ['This field must be unique.'] });
    const listed = (await (await api(`${REPOSITORIES}?name=twice`)).json()) as { count: number };
    expect(listed.count).toBe(1);
  });

  it('answers bad input clearly', async () => {
    const malformed = await postJson(REPOSITORIES, '{"name": ');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { detail: string }).detail).toMatch(/JSON parse error/);

    const unknownField = await postJson(REPOSITORIES, JSON.stringify({ name: 'x', colour: 'blue' }));
    expect(unknownField.status).toBe(400);
    expect(await unknownField.json()).toEqual({ colour: ['Unexpected field.'] });

    const missingName = await postJson(REPOSITORIES, JSON.stringify({}));
    expect(missingName.status).toBe(400);
    expect(await missingName.json()).toHaveProperty('name');

    const unknownRoute = await api('/pulp/api/v3/no-such-thing/');
    expect(unknownRoute.status).toBe(404);
    expect(await unknownRoute.json()).toEqual({ detail: 'Not found.' });

    const unknownRepository = await api(`${REPOSITORIES}00000000-0000-4000-8000-000000000000/`);
    expect(unknownRepository.status).toBe(404);

    const badLimit = await api(`${REPOSITORIES}?limit=many`);
    expect(badLimit.status).toBe(400);
    expect(await badLimit.json()).toEqual({ limit: ['A valid integer is required.'] });
  });

  it('pages lists Pulp-style, clamps huge limits and honours fields / exclude_fields', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) await postJson(REPOSITORIES, JSON.stringify({ name }));
    const first = (await (await api(`${REPOSITORIES}?name__startswith=page-&limit=2&offset=0`)).json()) as {
      count: number;
      next: string | null;
      previous: string | null;
      results: { name: string }[];
    };
    expect(first.count).toBe(3);
    expect(first.results.map((r) => r.name)).toEqual(['page-a', 'page-b']);
    expect(first.previous).toBeNull();
    const second = (await (
      await api(new URL(first.next!).pathname + new URL(first.next!).search)
    ).json()) as {
      results: { name: string }[];
      next: string | null;
    };
    expect(second.results.map((r) => r.name)).toEqual(['page-c']);
    expect(second.next).toBeNull();

    const clamped = await api(`${REPOSITORIES}?limit=1000000`);
    expect(clamped.status).toBe(200);

    const narrow = (await (await api(`${REPOSITORIES}?name=page-a&fields=name,pulp_href`)).json()) as {
      results: Record<string, unknown>[];
    };
    expect(Object.keys(narrow.results[0]!).sort()).toEqual(['name', 'pulp_href']);
    const wide = (await (await api(`${REPOSITORIES}?name=page-a&exclude_fields=description`)).json()) as {
      results: Record<string, unknown>[];
    };
    expect(wide.results[0]).not.toHaveProperty('description');
    expect(wide.results[0]).toHaveProperty('versions_href');
  });

  it('reports every service ready and echoes the Correlation-Id', async () => {
    for (const process of wharf.processes) {
      const ready = await fetch(`${process.url}/readyz`);
      expect(ready.status, process.name).toBe(200);
    }
    const response = await api(REPOSITORIES, { headers: { 'Correlation-Id': 'abc-123' } });
    expect(response.headers.get('correlation-id')).toBe('abc-123');
  });

  it('asks for credentials everywhere but status/ and docs/, with a Basic challenge', async () => {
    for (const authorization of [undefined, basicAuthorization('not-the-password')]) {
      const refused = await fetch(`${wharf.apiUrl}${REPOSITORIES}`, {
        headers: authorization ? { Authorization: authorization } : {},
      });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Basic realm="Wharf"');
      expect(await refused.json()).toHaveProperty('detail');
    }
    const document = await fetch(`${wharf.apiUrl}/pulp/api/v3/docs/api.json`);
    expect(document.status).toBe(200);
    expect(document.headers.get('content-type')).toBe('application/json');
    const { paths } = (await document.json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(paths[REPOSITORIES]?.post?.operationId).toBe('repositories_container_container_create');

    const status = await fetch(`${wharf.apiUrl}/pulp/api/v3/status/`);
    expect(status.status).toBe(200);
    const body = (await status.json()) as Record<string, { connected: boolean | null }>;
    expect(body.bus_connection).toEqual({ connected: true });
    // The all-in-one process holds the databases; a gateway alone does not, and says it cannot tell.
    expect(body.database_connection).toEqual({ connected: mode === 'all-in-one' ? true : null });
  });

  it('never prints the admin password or the secret key', () => {
    for (const process of wharf.processes) {
      expect(process.output(), process.name).not.toContain(TEST_ADMIN_PASSWORD);
      expect(process.output(), process.name).not.toContain(TEST_SECRET_KEY);
    }
  });
});
