import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';

describe.each([
  ['all-in-one', startAllInOne],
  ['multi-process', startMultiProcess],
] as const)('a request travels through Wharf (%s)', (_mode, start) => {
  let wharf: WharfDeployment;
  const api = (path: string, init?: RequestInit) => fetch(`${wharf.apiUrl}${path}`, init);
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
  });

  it('reports every service ready and echoes the Correlation-Id', async () => {
    for (const process of wharf.processes) {
      const ready = await fetch(`${process.url}/readyz`);
      expect(ready.status, process.name).toBe(200);
    }
    const response = await api(REPOSITORIES, { headers: { 'Correlation-Id': 'abc-123' } });
    expect(response.headers.get('correlation-id')).toBe('abc-123');
  });
});
