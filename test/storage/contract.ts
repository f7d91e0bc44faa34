import { afterEach, describe, expect, it } from 'vitest';
import type { LockRequest } from '../../src/engine/ports/store.js';
import type { Storage } from '../../src/storage/keyv.js';
import { collect, describeAtomicOps } from './contract-atomic.js';

export interface StorageHarness {
  /** A storage over fresh data that no other test sees, and a way to make its time pass. */
  open(): Promise<OpenedStorage>;
  /** Data that outlives `close()`: opening again after `restart()` must see what was written. */
  durable(): Promise<DurableHarness>;
}

export interface OpenedStorage {
  storage: Storage;
  /**
   * Let `ms` pass for every TTL and lock of this storage, without waiting: the embedded store
   * runs on an injected clock; Redis expires keys on its own clock, so its harness shortens every
   * key's remaining TTL by `ms` on the server (PTTL, then PEXPIRE or DEL when it runs out).
   */
  advance(ms: number): Promise<void>;
}

export interface DurableHarness {
  open(): Promise<Storage>;
  /** Whatever a real restart is for this backend (Redis: the server process restarts). */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

const alice: LockRequest = { owner: 'alice', reason: 'apply abc123', ttlMs: 10_000 };
const bob: LockRequest = { owner: 'bob', reason: 'apply def456', ttlMs: 10_000 };

/** The one behaviour every Storage must have; run against Redis and against the embedded store. */
export const describeStoreContract = (name: string, harness: StorageHarness): void => {
  describe(`${name} store contract`, () => {
    const opened: Storage[] = [];
    let advance: (ms: number) => Promise<void> = async () => {
      throw new Error('open a storage first');
    };
    /** One storage per test: `advance` moves its time. */
    const open = async () => {
      const fresh = await harness.open();
      opened.push(fresh.storage);
      advance = fresh.advance;
      return fresh.storage;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((storage) => storage.close()));
    });

    it('sets, overwrites, gets and deletes records', async () => {
      const things = (await open()).store<{ n: number }>('things');
      expect(await things.get('a')).toBeUndefined();
      await things.set('a', { n: 1 });
      await things.set('a', { n: 2 });
      expect(await things.get('a')).toEqual({ n: 2 });
      expect(await things.delete('a')).toBe(true);
      expect(await things.delete('a')).toBe(false);
      expect(await things.get('a')).toBeUndefined();
    });

    it('lists the entries of one namespace only, ids intact', async () => {
      const storage = await open();
      const alpha = storage.store<string>('alpha');
      const alphabet = storage.store<string>('alphabet');
      await alpha.set('repo:main:abc', 'one');
      await alpha.set('ünï cødé', 'two');
      await alphabet.set('repo:main:abc', 'other');
      expect(await alpha.get('repo:main:abc')).toBe('one');
      expect(await collect(alpha.entries())).toEqual([
        ['repo:main:abc', 'one'],
        ['ünï cødé', 'two'],
      ]);
      expect(await collect(alphabet.entries())).toEqual([['repo:main:abc', 'other']]);
      expect(await collect(storage.store('empty').entries())).toEqual([]);
    });

    it('forgets a record after its ttl', async () => {
      const things = (await open()).store<number>('things');
      await things.set('brief', 1, 10_000);
      await things.set('lasting', 2);
      expect(await things.get('brief')).toBe(1);
      await advance(6_000);
      expect(await things.get('brief')).toBe(1);
      await advance(6_000);
      expect(await things.get('brief')).toBeUndefined();
      expect(await collect(things.entries())).toEqual([['lasting', 2]]);
    });

    it('keeps records and locks across a close and restart', async () => {
      const durable = await harness.durable();
      try {
        const before = await durable.open();
        await before.store<{ rev: string }>('approvals').set('r1', { rev: 'abc' });
        await before.store<number>('approvals').set('r2', 2, 60_000);
        await before.locks.acquire('deploy', alice);
        await before.close();
        await durable.restart();
        const after = await durable.open();
        try {
          expect(await collect(after.store('approvals').entries())).toEqual([
            ['r1', { rev: 'abc' }],
            ['r2', 2],
          ]);
          expect(await after.locks.inspect('deploy')).toMatchObject({ owner: 'alice', reason: alice.reason });
        } finally {
          await after.close();
        }
      } finally {
        await durable.dispose();
      }
    });

    it('refuses a held lock and names the holder', async () => {
      const { locks } = await open();
      const first = await locks.acquire('deploy', alice);
      expect(first.ok).toBe(true);
      const second = await locks.acquire('deploy', bob);
      expect(second).toMatchObject({
        ok: false,
        holder: { key: 'deploy', owner: 'alice', reason: alice.reason },
      });
      expect(await locks.inspect('deploy')).toMatchObject({ owner: 'alice' });
      expect(await locks.inspect('other')).toBeUndefined();
      expect((await locks.acquire('other', bob)).ok).toBe(true);
    });

    it('lets only the holder release it', async () => {
      const { locks } = await open();
      const first = await locks.acquire('deploy', alice);
      if (!first.ok) throw new Error('not acquired');
      expect(await first.lock.release()).toBe(true);
      expect(await first.lock.release()).toBe(false);
      const second = await locks.acquire('deploy', bob);
      if (!second.ok) throw new Error('not reacquired');
      // alice's old handle carries a different token: it must not touch bob's lock
      expect(await first.lock.release()).toBe(false);
      expect(await first.lock.renew(60_000)).toBe(false);
      expect(await locks.inspect('deploy')).toMatchObject({ owner: 'bob', expiresAt: second.lock.expiresAt });
    });

    it('lets anyone take an expired lock, and the old holder cannot get it back', async () => {
      const { locks } = await open();
      const first = await locks.acquire('deploy', { ...alice, ttlMs: 5_000 });
      if (!first.ok) throw new Error('not acquired');
      await advance(6_000);
      expect(await locks.inspect('deploy')).toBeUndefined();
      const second = await locks.acquire('deploy', bob);
      expect(second.ok).toBe(true);
      expect(await first.lock.renew(10_000)).toBe(false);
      expect(await first.lock.release()).toBe(false);
      expect(await locks.inspect('deploy')).toMatchObject({ owner: 'bob' });
    });

    it('extends a lock on renew', async () => {
      const { locks } = await open();
      const taken = await locks.acquire('deploy', { ...alice, ttlMs: 2_000 });
      if (!taken.ok) throw new Error('not acquired');
      const firstExpiry = taken.lock.expiresAt;
      expect(await taken.lock.renew(60_000)).toBe(true);
      expect(taken.lock.expiresAt).toBeGreaterThan(firstExpiry);
      await advance(5_000);
      expect((await locks.acquire('deploy', bob)).ok).toBe(false);
      expect(await locks.inspect('deploy')).toMatchObject({
        owner: 'alice',
        expiresAt: taken.lock.expiresAt,
      });
    });

    it('force-releases whoever holds it', async () => {
      const { locks } = await open();
      const taken = await locks.acquire('deploy', alice);
      if (!taken.ok) throw new Error('not acquired');
      expect(await locks.forceRelease('deploy')).toBe(true);
      expect(await locks.forceRelease('deploy')).toBe(false);
      expect(await taken.lock.renew(10_000)).toBe(false);
      expect((await locks.acquire('deploy', bob)).ok).toBe(true);
    });

    it('lists held locks only', async () => {
      const { locks } = await open();
      await locks.acquire('b-lock', bob);
      await locks.acquire('a-lock', alice);
      const gone = await locks.acquire('c-lock', alice);
      if (gone.ok) await gone.lock.release();
      await locks.acquire('expired', { ...bob, ttlMs: 5_000 });
      await advance(6_000);
      const listed = await locks.list();
      expect(listed.map(({ key, owner, reason }) => ({ key, owner, reason }))).toEqual([
        { key: 'a-lock', owner: 'alice', reason: alice.reason },
        { key: 'b-lock', owner: 'bob', reason: bob.reason },
      ]);
      for (const info of listed) expect(info.expiresAt).toBeGreaterThan(info.since);
    });

    it('claims a key once per ttl', async () => {
      const { locks } = await open();
      expect(await locks.claimOnce('slack:delivery-1', 5_000)).toBe(true);
      expect(await locks.claimOnce('slack:delivery-1', 5_000)).toBe(false);
      expect(await locks.claimOnce('slack:delivery-2', 5_000)).toBe(true);
      await advance(4_000);
      expect(await locks.claimOnce('slack:delivery-1', 5_000)).toBe(false);
      await advance(2_000);
      expect(await locks.claimOnce('slack:delivery-1', 5_000)).toBe(true);
    });

    describeAtomicOps({ open, advance: (ms) => advance(ms) });

    it('gives a contested lock to exactly one of 20 parallel callers', async () => {
      const { locks } = await open();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => locks.acquire('deploy', { ...alice, owner: `user${i}` })),
      );
      const winners = results.filter((result) => result.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0]?.ok ? winners[0].lock.owner : undefined;
      for (const result of results) if (!result.ok) expect(result.holder.owner).toBe(winner);
      const claims = await Promise.all(Array.from({ length: 20 }, () => locks.claimOnce('event', 10_000)));
      expect(claims.filter(Boolean)).toHaveLength(1);
    });
  });
};
