import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
