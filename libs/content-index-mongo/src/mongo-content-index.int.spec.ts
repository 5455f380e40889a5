import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { MongoClient } from 'mongodb';
import { contentIndexContract } from '@wharf/testing';
import { MongoContentIndex } from './mongo-content-index.adapter.js';

const url = process.env.MONGODB_URL;

// MongoDB cannot be installed on the project's machines; this suite runs wherever MONGODB_URL points at one.
describe.skipIf(!url)('MongoContentIndex', () => {
  contentIndexContract('MongoDB', async () => {
    const database = `wharf_content_index_${randomUUID().replaceAll('-', '')}`;
    const open = () => MongoContentIndex.connect({ url: url!, database });
    const opened: MongoContentIndex[] = [await open()];
    return {
      index: opened[0]!,
      reopen: async () => {
        const index = await open();
        opened.push(index);
        return index;
      },
      cleanup: async () => {
        await Promise.all(opened.map((index) => index.close()));
        const client = await MongoClient.connect(url!);
        try {
          await client.db(database).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  });
});
