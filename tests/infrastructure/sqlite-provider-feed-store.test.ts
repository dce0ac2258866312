import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { expect } from 'chai';
import type { NewQueueEntry } from '../../application/ports/provider-feed-store.js';
import { SqliteProviderFeedStore } from '../../infrastructure/feed/sqlite-provider-feed-store.js';
import { providerFeedStoreContract } from '../contracts/provider-feed-store.contract.js';

providerFeedStoreContract('SQLite provider feed store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-feed-'));
  return {
    open: async () => SqliteProviderFeedStore.open({ file: join(dir, 'feed.db') }),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite provider feed store durability', () => {
  it('commits what the log can rebuild with synchronous=NORMAL, webhook endpoints with FULL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-feed-sync-'));
    const store = SqliteProviderFeedStore.open({ file: join(dir, 'feed.db') });
    const db = (store as unknown as { db: Database.Database }).db;
    const statements = (store as unknown as { s: Record<string, Database.Statement> }).s;
    const levels: Record<string, number[]> = {};
    // The level in force while each named statement runs.
    for (const name of ['putWebhook', 'deleteWebhook', 'enqueue', 'saveCheckpoint']) {
      const statement = statements[name]!;
      const run = statement.run.bind(statement);
      statement.run = (...args: unknown[]) => {
        (levels[name] ??= []).push(db.pragma('synchronous', { simple: true }) as number);
        return run(...args);
      };
    }
    try {
      expect(db.pragma('synchronous', { simple: true })).to.equal(1);
      const providerId = '0190f3c2-7a1b-7c3d-8e4f-000000000001';
      await store.putWebhook({
        providerId,
        url: 'https://shop.example/hooks',
        sealedSecret: 'sealed',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      });
      await store.enqueue(
        [
          {
            id: 'm1',
            message: {
              providerId,
              eventId: '0190f3c2-7a1b-7c3d-8e4f-0000000000e1',
              position: 1,
            } as unknown as NewQueueEntry['message'],
          },
        ],
        new Date('2026-01-01T00:00:00Z'),
      );
      await store.saveCheckpoint('pm', 1);
      expect(await store.deleteWebhook(providerId)).to.equal(true);
      expect(levels).to.deep.equal({
        putWebhook: [2],
        enqueue: [1],
        saveCheckpoint: [1],
        deleteWebhook: [2],
      });
      expect(db.pragma('synchronous', { simple: true })).to.equal(1);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
