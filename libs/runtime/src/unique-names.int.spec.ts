import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '@wharf/event-store-sqlite';
import { NameTakenError, UniqueNames } from './unique-names.js';

describe('UniqueNames (SQLite event store)', () => {
  let store: SqliteEventStore;
  /** Who currently goes by which name: the liveness the owning service's directory would report. */
  let live: Map<string, string>;

  const names = () =>
    new UniqueNames(store, {
      claimStreamPrefix: 'thingname-',
      claimEventType: 'ThingNameClaimed',
      holderField: 'thingId',
      isHeldBy: (holder, name) => live.get(holder) === name,
    });
  const create = (id: string, name: string) => async () => {
    live.set(id, name);
    return id;
  };

  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
    live = new Map();
  });

  afterEach(async () => {
    await store.close();
  });

  it('records a claim in the name stream and runs the creation', async () => {
    expect(await names().claim('web', 't1', create('t1', 'web'), { metadata: { actor: 'admin' } })).toBe(
      't1',
    );
    const [claim] = await store.readAll({ after: 0, limit: 10 });
    expect(claim).toMatchObject({
      stream: 'thingname-web',
      type: 'ThingNameClaimed',
      data: { name: 'web', thingId: 't1' },
      metadata: { actor: 'admin' },
    });
  });

  it('refuses a name a live object goes by, with Pulp’s message under the field', async () => {
    const unique = names();
    await unique.claim('web', 't1', create('t1', 'web'));
    const refused = unique.claim('web', 't2', create('t2', 'web'));
    await expect(refused).rejects.toThrow(NameTakenError);
    await expect(refused).rejects.toMatchObject({ details: { name: ['This field must be unique.'] } });
    await expect(unique.assertAvailable('web', 't2')).rejects.toThrow(NameTakenError);
    expect(live.has('t2')).toBe(false);
  });

  it('lets the holder claim its own name again (a retried creation, an update keeping the name)', async () => {
    const unique = names();
    await unique.claim('web', 't1', create('t1', 'web'));
    await expect(unique.claim('web', 't1', create('t1', 'web'))).resolves.toBe('t1');
    await expect(unique.assertAvailable('web', 't1')).resolves.toBeUndefined();
  });

  it('frees a name once its holder is deleted or renamed', async () => {
    const unique = names();
    await unique.claim('web', 't1', create('t1', 'web'));
    live.set('t1', 'api'); // renamed
    await expect(unique.claim('web', 't2', create('t2', 'web'))).resolves.toBe('t2');
    live.delete('t2'); // deleted
    await expect(unique.claim('web', 't3', create('t3', 'web'))).resolves.toBe('t3');
  });

  it('frees a name whose creation failed after the claim', async () => {
    const unique = names();
    const failing = unique.claim('web', 't1', async () => {
      throw new Error('refused by the domain');
    });
    await expect(failing).rejects.toThrow('refused by the domain');
    await expect(unique.claim('web', 't2', create('t2', 'web'))).resolves.toBe('t2');
  });

  it('gives a name to exactly one of two concurrent claimants in different processes', async () => {
    const outcomes = await Promise.allSettled([
      names().claim('web', 't1', create('t1', 'web')),
      names().claim('web', 't2', create('t2', 'web')),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const [loser] = outcomes.filter((o) => o.status === 'rejected');
    expect(loser?.reason).toBeInstanceOf(NameTakenError);
    expect([...live.values()]).toEqual(['web']);
  });

  it('refuses a name while its claimant’s creation is still in flight in this process', async () => {
    const unique = names();
    let finish!: () => void;
    const slow = unique.claim('web', 't1', async () => {
      await new Promise<void>((resolve) => (finish = resolve));
      live.set('t1', 'web');
    });
    await new Promise((r) => setTimeout(r, 20)); // the claim is stored, t1 is not live yet
    await expect(unique.claim('web', 't2', create('t2', 'web'))).rejects.toThrow(NameTakenError);
    finish();
    await slow;
    expect(live.get('t1')).toBe('web');
    expect(live.has('t2')).toBe(false);
  });

  it('reports a taken name under the configured field', async () => {
    const paths = new UniqueNames(store, {
      claimStreamPrefix: 'basepath-',
      claimEventType: 'BasePathClaimed',
      holderField: 'distributionId',
      isHeldBy: () => true,
      field: 'base_path',
    });
    await paths.claim('team/app', 'd1', async () => undefined);
    await expect(paths.claim('team/app', 'd2', async () => undefined)).rejects.toMatchObject({
      details: { base_path: ['This field must be unique.'] },
    });
  });
});
