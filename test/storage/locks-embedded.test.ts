import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/engine/ports/store.js';
import { createEmbeddedLocks } from '../../src/storage/locks-embedded.js';
import { createMemoryStore } from '../../src/storage/memory-store.js';

const root = mkdtempSync(join(tmpdir(), 'heckler-locks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A plain in-memory Store: the locks must depend on the port only. */
const memoryStore = <T>(): Store<T> => createMemoryStore<T>();

describe('embedded locks', () => {
  it('expires by the injected clock, without waiting', async () => {
    let now = 1_000;
    const locks = createEmbeddedLocks({ locks: memoryStore(), claims: memoryStore(), now: () => now });
    const taken = await locks.acquire('deploy', { owner: 'alice', reason: 'r', ttlMs: 1_000 });
    expect(taken).toMatchObject({ ok: true, lock: { since: 1_000, expiresAt: 2_000 } });
    now = 1_999;
    expect((await locks.acquire('deploy', { owner: 'bob', reason: 'r', ttlMs: 1_000 })).ok).toBe(false);
    if (taken.ok) expect(await taken.lock.renew(500)).toBe(true);
    now = 2_400;
    expect(await locks.inspect('deploy')).toMatchObject({ owner: 'alice', expiresAt: 2_499 });
    now = 2_499;
    expect(await locks.list()).toEqual([]);
    expect((await locks.acquire('deploy', { owner: 'bob', reason: 'r', ttlMs: 1_000 })).ok).toBe(true);
    expect(await locks.claimOnce('e', 10)).toBe(true);
    expect(await locks.claimOnce('e', 10)).toBe(false);
    now += 10;
    expect(await locks.claimOnce('e', 10)).toBe(true);
  });

  it('keeps working after a store failure inside the mutex', async () => {
    const failing = memoryStore<never>();
    let fail = true;
    const locks = createEmbeddedLocks({
      locks: { ...failing, get: async () => (fail ? Promise.reject(new Error('disk')) : undefined) },
      claims: memoryStore(),
    });
    await expect(locks.acquire('a', { owner: 'o', reason: 'r', ttlMs: 100 })).rejects.toThrow('disk');
    fail = false;
    expect(await locks.claimOnce('e', 100)).toBe(true);
  });

  it('rejects a ttl that is not a positive integer', async () => {
    const locks = createEmbeddedLocks({ locks: memoryStore(), claims: memoryStore() });
    await expect(locks.acquire('a', { owner: 'o', reason: 'r', ttlMs: 0 })).rejects.toThrow(RangeError);
    await expect(locks.claimOnce('a', Number.NaN)).rejects.toThrow(RangeError);
  });
});
