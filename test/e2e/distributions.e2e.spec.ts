import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const API = '/pulp/api/v3/';
const REPOSITORIES = `${API}repositories/container/container/`;
const PUBLICATIONS = `${API}publications/container/container/`;
const DISTRIBUTIONS = `${API}distributions/container/container/`;

type Json = Record<string, unknown>;

describe.each([
  ['all-in-one', startAllInOne],
  ['multi-process', startMultiProcess],
] as const)('publishing and distributing a repository (%s)', (_mode, start) => {
  let wharf: WharfDeployment;

  const send = (method: string, path: string, body?: unknown) =>
    wharf.api(path, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const read = async (path: string): Promise<Json> => {
    const response = await send('GET', path);
    expect(response.status, path).toBe(200);
    return (await response.json()) as Json;
  };

  /** Sends a request Pulp answers with 202 and a task, and waits for the task to end. */
  const task = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const response = await send(method, path, body);
    const answer = (await response.json()) as Json;
    expect(response.status, JSON.stringify(answer)).toBe(202);
    return eventually(`the task of ${method} ${path}`, async () => {
      const state = await read(answer.task as string);
      return ['completed', 'failed', 'canceled'].includes(state.state as string) ? state : undefined;
    });
  };

  beforeAll(async () => {
    wharf = await start();
  }, 90_000);

  afterAll(async () => {
    await wharf?.stop();
  });

  it('publishes a repository, serves it at a base path, refuses clashing paths, switches to the publication, deletes', async () => {
    const created = await send('POST', REPOSITORIES, { name: 'app' });
    expect(created.status).toBe(201);
    const repository = (await created.json()) as Json;

    const published = await task('POST', PUBLICATIONS, { repository: repository.pulp_href });
    expect(published.state).toBe('completed');
    const [publicationHref] = published.created_resources as string[];
    expect(publicationHref).toMatch(/^\/pulp\/api\/v3\/publications\/container\/container\/[0-9a-f-]{36}\/$/);
    expect(await read(publicationHref!)).toMatchObject({
      pulp_href: publicationHref,
      repository: repository.pulp_href,
      repository_version: `${repository.pulp_href as string}versions/0/`,
    });

    const distributed = await task('POST', DISTRIBUTIONS, {
      name: 'app',
      base_path: 'team/app',
      repository: repository.pulp_href,
    });
    expect(distributed.state, JSON.stringify(distributed.error)).toBe('completed');
    const [distributionHref] = distributed.created_resources as string[];
    const distribution = await read(distributionHref!);
    expect(distribution).toMatchObject({
      pulp_href: distributionHref,
      name: 'app',
      base_path: 'team/app',
      repository: repository.pulp_href,
      repository_version: null,
      publication: null,
      content_guard: null,
      private: false,
      hidden: false,
      pulp_labels: {},
    });
    expect(distribution.registry_path).toMatch(/^127\.0\.0\.1:\d+\/team\/app$/);

    const duplicate = await send('POST', DISTRIBUTIONS, { name: 'other', base_path: 'team/app' });
    expect(duplicate.status).toBe(400);
    expect(await duplicate.json()).toEqual({ base_path: ['This field must be unique.'] });
    const overlapping = await send('POST', DISTRIBUTIONS, { name: 'team', base_path: 'team' });
    expect(overlapping.status).toBe(400);
    expect(await overlapping.json()).toEqual({
      base_path: ["Overlaps with existing distribution 'app' (base path 'team/app')."],
    });
    const listed = (await read(`${DISTRIBUTIONS}?base_path__contains=team&offset=0&limit=10`)) as {
      count: number;
    };
    expect(listed.count).toBe(1);

    const switched = await task('PATCH', distributionHref!, {
      publication: publicationHref,
      repository: null,
    });
    expect(switched.state, JSON.stringify(switched.error)).toBe('completed');
    expect(await read(distributionHref!)).toMatchObject({ publication: publicationHref, repository: null });

    expect((await task('DELETE', distributionHref!)).state).toBe('completed');
    expect((await send('GET', distributionHref!)).status).toBe(404);
    expect((await task('DELETE', publicationHref!)).state).toBe('completed');
    expect((await send('GET', publicationHref!)).status).toBe(404);
  });

  it('refuses bad requests at once, naming the field', async () => {
    const nowhere = await send('POST', DISTRIBUTIONS, {
      name: 'nowhere',
      base_path: 'nowhere',
      repository: `${REPOSITORIES}00000000-0000-4000-8000-000000000000/`,
    });
    expect(nowhere.status).toBe(400);
    expect(await nowhere.json()).toEqual({ repository: ['Invalid hyperlink - Object does not exist.'] });
    const notAnHref = await send('POST', PUBLICATIONS, { repository_version: '/pulp/api/v3/tasks/' });
    expect(notAnHref.status).toBe(400);
    expect(await notAnHref.json()).toEqual({ repository_version: ['Invalid hyperlink - No URL match.'] });
    const empty = await send('POST', DISTRIBUTIONS, {});
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      name: ['This field is required.'],
      base_path: ['This field is required.'],
    });

    const created = await task('POST', DISTRIBUTIONS, { name: 'plain', base_path: 'plain' });
    const [href] = created.created_resources as string[];
    const incomplete = await send('PUT', href!, { name: 'plain', hidden: true });
    expect(incomplete.status).toBe(400);
    expect(await incomplete.json()).toEqual({ base_path: ['This field is required.'] });
    expect((await task('PUT', href!, { name: 'plain', base_path: 'plain/v2', hidden: true })).state).toBe(
      'completed',
    );
    expect(await read(href!)).toMatchObject({ base_path: 'plain/v2', hidden: true, repository: null });
    expect((await task('DELETE', href!)).state).toBe('completed');
  });
});
