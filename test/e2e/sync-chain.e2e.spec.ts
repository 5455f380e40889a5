import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  imageIndex,
  pushImage,
  randomImage,
  startDockerRegistry,
  type StartedDockerRegistry,
} from '@wharf/testing';
import { eventually, startAllInOne, type WharfDeployment } from './wharf-deployments.js';

const REMOTES = '/pulp/api/v3/remotes/container/container/';
const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const DISTRIBUTIONS = '/pulp/api/v3/distributions/container/container/';

/**
 * Chaining: a repository synced from docker-registry is served by a distribution, and another repository syncs
 * from that distribution through Wharf's own registry API — the way an edge Wharf mirrors a central one.
 */
describe('sync from a Wharf distribution (chaining)', () => {
  let wharf: WharfDeployment;
  let upstream: StartedDockerRegistry;
  const single = randomImage({ layers: 2 });
  const multi = imageIndex([randomImage({ layers: 1 }), randomImage({ layers: 1 })]);

  const json = async <T>(response: Response, status: number): Promise<T> => {
    const body = await response.text();
    expect(response.status, body).toBe(status);
    return JSON.parse(body) as T;
  };
  const post = (path: string, body: unknown) =>
    wharf.api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const task = async (response: Response) => {
    const { task: href } = await json<{ task: string }>(response, 202);
    return eventually(`task ${href}`, async () => {
      const state = await json<{ state: string; error: unknown; created_resources: string[] }>(
        await wharf.api(href),
        200,
      );
      return ['completed', 'failed', 'canceled'].includes(state.state) ? state : undefined;
    });
  };
  const syncFrom = async (url: string, upstreamName: string, repositoryName: string) => {
    const remote = await json<{ pulp_href: string }>(
      await post(REMOTES, {
        name: `${repositoryName}-remote`,
        url,
        upstream_name: upstreamName,
        policy: 'immediate',
      }),
      201,
    );
    const repository = await json<{ pulp_href: string }>(
      await post(REPOSITORIES, { name: repositoryName }),
      201,
    );
    const synced = await task(await post(`${repository.pulp_href}sync/`, { remote: remote.pulp_href }));
    expect(synced.state, JSON.stringify(synced.error)).toBe('completed');
    return repository.pulp_href;
  };
  const tagsOf = async (repositoryHref: string, version: number) => {
    const page = await json<{ results: { name: string; tagged_manifest: string }[] }>(
      await wharf.api(
        `/pulp/api/v3/content/container/tags/?repository_version=${repositoryHref}versions/${version}/`,
      ),
      200,
    );
    return page.results.map((t) => [t.name, t.tagged_manifest]).sort();
  };

  beforeAll(async () => {
    upstream = await startDockerRegistry();
    await pushImage(upstream, 'central/app', 'v1', single);
    await pushImage(upstream, 'central/app', 'multi', multi);
    wharf = await startAllInOne();
  }, 90_000);

  afterAll(async () => {
    await wharf?.stop();
    await upstream?.stop();
  });

  it('mirrors what the first repository serves, digest for digest', async () => {
    const central = await syncFrom(upstream.url, 'central/app', 'central');
    const distributed = await task(
      await post(DISTRIBUTIONS, { name: 'central', base_path: 'central/app', repository: central }),
    );
    expect(distributed.state).toBe('completed');

    const edge = await syncFrom(wharf.registryUrl, 'central/app', 'edge');
    expect(await tagsOf(edge, 1)).toEqual(await tagsOf(central, 1));
    expect((await tagsOf(edge, 1)).map(([name]) => name)).toEqual(['multi', 'v1']);
    const summary = async (href: string) =>
      (await json<{ content_summary: { present: unknown } }>(await wharf.api(`${href}versions/1/`), 200))
        .content_summary.present;
    const strip = (present: unknown) =>
      Object.fromEntries(
        Object.entries(present as Record<string, { count: number }>).map(([k, v]) => [k, v.count]),
      );
    expect(strip(await summary(edge))).toEqual(strip(await summary(central)));
  });
});
