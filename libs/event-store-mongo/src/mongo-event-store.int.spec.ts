import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { MongoClient } from 'mongodb';
import { eventStoreContract } from '@wharf/testing';
import { MongoEventStore } from './mongo-event-store.adapter.js';

const url = process.env.MONGODB_URL ?? '';

describe.skipIf(!url)('MongoEventStore against MONGODB_URL', () => {
  // A database of its own for every test, so that readAll sees only that test's events; dropped after it.
  eventStoreContract('MongoEventStore', async () => {
    const database = `wharf-test-${randomUUID()}`;
    const store = await MongoEventStore.connect({ url, database });
    return {
      store,
      reopen: () => MongoEventStore.connect({ url, database }),
      cleanup: async () => {
        await store.close();
        const client = await new MongoClient(url).connect();
        try {
          await client.db(database).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  });
});
