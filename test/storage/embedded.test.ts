import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStorage } from '../../src/storage/keyv.js';
import { describeStoreContract } from './contract.js';

const root = mkdtempSync(join(tmpdir(), 'heckler-embedded-'));
let dirs = 0;
const freshDir = () => join(root, `d${++dirs}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStoreContract('embedded', {
  // The store's TTLs and the locks run on this clock: the contract moves it instead of sleeping.
  open: async () => {
    let now = Date.now();
    const storage = await createStorage({ dataDir: freshDir(), keyPrefix: 'heckler', now: () => now });
    const advance = async (ms: number) => {
      now += ms;
    };
    return { storage, advance };
  },
  durable: async () => {
    const dataDir = freshDir();
    return {
      open: () => createStorage({ dataDir, keyPrefix: 'heckler' }),
      restart: async () => {},
      dispose: async () => {},
    };
  },
});

describe('embedded storage', () => {
  it('says which directory it cannot use', async () => {
    const parent = freshDir();
    await createStorage({ dataDir: parent, keyPrefix: 'heckler' }).then((storage) => storage.close());
    // a path below a regular file cannot be created, even by root
    const blocked = join(parent, 'store.jsonl', 'below');
    await expect(createStorage({ dataDir: blocked, keyPrefix: 'heckler' })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining(blocked),
      hint: expect.stringContaining('writable'),
    });
  });

  it('reports the embedded kind and refuses work after close', async () => {
    const storage = await createStorage({ dataDir: freshDir(), keyPrefix: 'heckler' });
    expect(storage.kind).toBe('embedded');
    const things = storage.store<number>('things');
    await things.set('a', 1);
    await storage.close();
    await expect(things.get('a')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});
