import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract } from '@wharf/testing';
import { SqliteEventStore } from './sqlite-event-store.adapter.js';

eventStoreContract('SqliteEventStore (file in WAL mode)', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'wharf-event-store-'));
  const path = join(directory, 'events.sqlite');
  const store = new SqliteEventStore({ path });
  return {
    store,
    reopen: async () => new SqliteEventStore({ path }),
    cleanup: async () => {
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

eventStoreContract('SqliteEventStore (in memory)', async () => {
  const store = new SqliteEventStore({ path: ':memory:' });
  return { store, cleanup: () => store.close() };
});
