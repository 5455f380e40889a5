import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REMOTES = '/pulp/api/v3/remotes/container/container/';
const PASSWORD = 'e2e-remote-password-7c1d';
const NEW_PASSWORD = 'e2e-rotated-password-93aa';

interface RemoteJson {
  pulp_href: string;
  name: string;
  url: string;
  policy: string;
  include_tags: string[] | null;
  hidden_fields: { name: string; is_set: boolean }[];
  [field: string]: unknown;
}

interface TaskJson {
  pulp_href: string;
  state: string;
  name: string;
  error: { description: string } | null;
}

describe.each([
  ['all-in-one', startAllInOne],
  ['multi-process', startMultiProcess],
] as const)('container remotes through the REST API (%s)', (_mode, start) => {
  let wharf: WharfDeployment;
  /** Every response body this suite received, to prove afterwards that no credential was ever in one. */
  const bodies: string[] = [];

  const call = async (path: string, init?: RequestInit): Promise<{ status: number; json: unknown }> => {
    const response = await wharf.api(path, init);
    const text = await response.text();
    bodies.push(text);
    if (text !== '') expect(response.headers.get('content-type')).toBe('application/json');
    return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  const send = (method: string, path: string, body: unknown) =>
    call(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const settled = (taskHref: string) =>
    eventually(`task ${taskHref} to finish`, async () => {
      const task = (await call(taskHref)).json as TaskJson;
      return ['completed', 'failed', 'canceled'].includes(task.state) ? task : undefined;
    });
  const createRemote = async (body: Record<string, unknown>): Promise<RemoteJson> => {
    const created = await send('POST', REMOTES, body);
    expect(created.status).toBe(201);
    return created.json as RemoteJson;
  };

  beforeAll(async () => {
    wharf = await start();
  }, 90_000);

  afterAll(async () => {
    await wharf?.stop();
  });

  it('creates, reads, updates and deletes a remote, updates and deletion running as tasks', async () => {
    const remote = await createRemote({
      name: 'docker-hub',
      url: 'https://registry-1.docker.io',
      upstream_name: 'library/busybox',
      username: 'robot',
      password: PASSWORD,
      include_tags: ['1.36*'],
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    });
    expect(remote.pulp_href).toMatch(/^\/pulp\/api\/v3\/remotes\/container\/container\/[0-9a-f-]{36}\/$/);
    expect(remote).toMatchObject({
      name: 'docker-hub',
      url: 'https://registry-1.docker.io',
      upstream_name: 'library/busybox',
      policy: 'immediate',
      tls_validation: true,
      include_tags: ['1.36*'],
      exclude_tags: null,
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    });
    expect(remote).not.toHaveProperty('password');
    expect(remote).not.toHaveProperty('username');
    expect(remote.hidden_fields).toEqual([
      { name: 'client_key', is_set: false },
      { name: 'proxy_username', is_set: false },
      { name: 'proxy_password', is_set: false },
      { name: 'username', is_set: true },
      { name: 'password', is_set: true },
    ]);

    const read = await call(remote.pulp_href);
    expect(read).toEqual({ status: 200, json: remote });
    const listed = await call(`${REMOTES}?name=docker-hub&offset=0&limit=1`);
    expect(listed.json).toMatchObject({ count: 1, next: null, previous: null, results: [remote] });

    const patch = await send('PATCH', remote.pulp_href, { policy: 'on_demand', password: NEW_PASSWORD });
    expect(patch.status).toBe(202);
    const patchTask = await settled((patch.json as { task: string }).task);
    expect(patchTask).toMatchObject({ state: 'completed', error: null });
    const patched = (await call(remote.pulp_href)).json as RemoteJson;
    expect(patched).toMatchObject({ policy: 'on_demand', include_tags: ['1.36*'] });
    expect(patched.hidden_fields).toContainEqual({ name: 'password', is_set: true });

    const put = await send('PUT', remote.pulp_href, {
      name: 'docker-hub',
      url: 'https://mirror.gcr.io',
      upstream_name: 'library/busybox',
      password: null,
    });
    expect(put.status).toBe(202);
    expect((await settled((put.json as { task: string }).task)).state).toBe('completed');
    const replaced = (await call(remote.pulp_href)).json as RemoteJson;
    expect(replaced).toMatchObject({ url: 'https://mirror.gcr.io', policy: 'on_demand' });
    expect(replaced.hidden_fields).toContainEqual({ name: 'password', is_set: false });

    const deletion = await call(remote.pulp_href, { method: 'DELETE' });
    expect(deletion.status).toBe(202);
    expect((await settled((deletion.json as { task: string }).task)).state).toBe('completed');
    expect((await call(remote.pulp_href)).status).toBe(404);
    expect(((await call(`${REMOTES}?name=docker-hub`)).json as { count: number }).count).toBe(0);
  });

  it('refuses a duplicate name and a bad url with 400s naming the field, creating nothing', async () => {
    await createRemote({ name: 'quay', url: 'https://quay.io', upstream_name: 'prometheus/node-exporter' });
    const duplicate = await send('POST', REMOTES, {
      name: 'quay',
      url: 'https://quay.io',
      upstream_name: 'x/y',
    });
    expect(duplicate).toEqual({ status: 400, json: { name: ['This field must be unique.'] } });

    const badUrl = await send('POST', REMOTES, { name: 'broken', url: 'not a url', upstream_name: 'x/y' });
    expect(badUrl.status).toBe(400);
    expect(Object.keys(badUrl.json as object)).toEqual(['url']);
    expect(((await call(`${REMOTES}?name=broken`)).json as { count: number }).count).toBe(0);

    const unknown = await send('POST', REMOTES, {
      name: 'x',
      url: 'https://quay.io',
      upstream_name: 'x',
      colour: 1,
    });
    expect(unknown).toEqual({ status: 400, json: { colour: ['Unexpected field.'] } });
  });

  it('answers a bad update with a 400 at once and an unknown remote with a 404, dispatching no task', async () => {
    const remote = await createRemote({
      name: 'gcr',
      url: 'https://gcr.io',
      upstream_name: 'distroless/static',
    });
    const bad = await send('PATCH', remote.pulp_href, { download_concurrency: 0 });
    expect(bad).toEqual({
      status: 400,
      json: { download_concurrency: ['Ensure this value is greater than or equal to 1.'] },
    });
    const clash = await send('PATCH', remote.pulp_href, { name: 'quay' });
    expect(clash).toEqual({ status: 400, json: { name: ['This field must be unique.'] } });
    const missing = `${REMOTES}00000000-0000-4000-8000-000000000000/`;
    expect((await send('PATCH', missing, { policy: 'streamed' })).status).toBe(404);
    expect((await call(missing, { method: 'DELETE' })).status).toBe(404);
  });

  it('never shows the password: not in responses, tasks, the audit log or any process output', async () => {
    const audited = await eventually('the audit record of the RemoteCreated with credentials', async () => {
      const page = (await call('/pulp/api/v3/audit/?event_type=RemoteCreated&limit=1000')).json as {
        results: { data: { name: string; password: string | null } }[];
      };
      return page.results.find((record) => record.data.name === 'docker-hub');
    });
    // What the audit log keeps is the sealed form.
    expect(audited.data.password).toMatch(/^v1:/);
    await eventually('the audit record of the PATCH', async () => {
      const page = (await call('/pulp/api/v3/audit/?event_type=RemoteUpdated&limit=1000')).json as {
        count: number;
      };
      return page.count >= 2 ? page : undefined;
    });

    const everything = [
      ...bodies,
      JSON.stringify((await call('/pulp/api/v3/tasks/?limit=1000')).json),
      JSON.stringify((await call('/pulp/api/v3/audit/?limit=1000')).json),
      ...wharf.processes.map((process) => process.output()),
    ].join('\n');
    expect(everything).toContain('docker-hub');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(NEW_PASSWORD);
  });
});
