import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HecklerError } from '../../src/engine/errors.js';
import { createStorage } from '../../src/storage/keyv.js';
import { advanceTtls, freePort, startRedis } from '../support/redis.js';
import { describeStoreContract } from './contract.js';

const redisUrl = inject('redisUrl');
/** A prefix per storage keeps parallel test files (and tests) out of each other's keys. */
const uniquePrefix = () => `t${randomUUID().slice(0, 8)}`;
const unusedDir = join(tmpdir(), 'heckler-unused');

/** For the contract's `advance`: Redis expires keys on its own clock, so their TTLs are shortened on the server. */
const raw = createClient({ url: redisUrl });
beforeAll(() => raw.connect());
afterAll(() => raw.close());

describeStoreContract('redis', {
  open: async () => {
    const keyPrefix = uniquePrefix();
    const storage = await createStorage({ redisUrl, keyPrefix, dataDir: unusedDir });
    return { storage, advance: (ms) => advanceTtls(raw, `${keyPrefix}:`, ms) };
  },
  durable: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heckler-redis-'));
    const server = await startRedis({ persistDir: dir });
    return {
      open: () => createStorage({ redisUrl: server.url, keyPrefix: 'durable', dataDir: unusedDir }),
      restart: () => server.restart(),
      dispose: async () => {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

const expectUnavailable = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HecklerError);
  expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', hint: expect.stringContaining('REDIS_URL') });
  return error as HecklerError;
};

describe('redis storage', () => {
  it('reports an unreachable Redis quickly, without the password', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await expectUnavailable(
      createStorage({ redisUrl: `redis://:hunter2@127.0.0.1:${port}`, keyPrefix: 'x', dataDir: unusedDir }),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).not.toContain('hunter2');
  });

  it('fails closed while Redis is down and recovers when it is back', async () => {
    const server = await startRedis();
    const storage = await createStorage({
      redisUrl: server.url,
      keyPrefix: uniquePrefix(),
      dataDir: unusedDir,
    });
    try {
      const things = storage.store<number>('things');
      await things.set('a', 1);
      await server.stop();
      const started = Date.now();
      await expectUnavailable(things.get('a'));
      await expectUnavailable(storage.locks.acquire('deploy', { owner: 'alice', reason: 'r', ttlMs: 1_000 }));
      await expectUnavailable(storage.locks.claimOnce('event', 1_000));
      expect(Date.now() - started).toBeLessThan(2_000);
      await server.restart();
      await expect.poll(() => things.set('a', 2).then(() => things.get('a')), { timeout: 10_000 }).toBe(2);
    } finally {
      await storage.close();
      await server.stop();
    }
  });

  it('puts every key under the key prefix, namespaces and locks apart', async () => {
    const keyPrefix = uniquePrefix();
    const storage = await createStorage({ redisUrl, keyPrefix, dataDir: unusedDir });
    try {
      await storage.store('approvals').set('r1', 'x');
      await storage.locks.acquire('deploy', { owner: 'alice', reason: 'r', ttlMs: 10_000 });
      await storage.locks.claimOnce('event', 10_000);
      expect((await raw.keys(`${keyPrefix}:*`)).sort()).toEqual([
        `${keyPrefix}:approvals::r1`,
        `${keyPrefix}:lock:deploy`,
        `${keyPrefix}:once:event`,
      ]);
      expect(JSON.parse((await raw.get(`${keyPrefix}:lock:deploy`)) ?? '{}')).toMatchObject({
        token: expect.any(String),
        owner: 'alice',
        reason: 'r',
      });
      expect(() => storage.store('lock')).toThrow(RangeError);
    } finally {
      await storage.close();
    }
  });

  it('lets Redis itself expire records, locks and claims (polled against a deadline, not slept)', async () => {
    // The contract shortens TTLs on the server; this checks that the PX we set really runs out.
    const storage = await createStorage({ redisUrl, keyPrefix: uniquePrefix(), dataDir: unusedDir });
    try {
      const things = storage.store<number>('things');
      await things.set('brief', 1, 50);
      await storage.locks.acquire('deploy', { owner: 'alice', reason: 'r', ttlMs: 50 });
      expect(await storage.locks.claimOnce('event', 50)).toBe(true);
      const gone = async () =>
        (await things.get('brief')) === undefined &&
        (await storage.locks.inspect('deploy')) === undefined &&
        (await storage.locks.claimOnce('event', 60_000));
      await expect.poll(gone, { timeout: 5_000, interval: 10 }).toBe(true);
    } finally {
      await storage.close();
    }
  });

  it('loses no update and repeats no number between two storages racing on one Redis', async () => {
    // Two Storage instances are two clients, as two replicas would be: only the server's
    // compare-and-set keeps their writes apart.
    const keyPrefix = uniquePrefix();
    const [one, two] = await Promise.all([
      createStorage({ redisUrl, keyPrefix, dataDir: unusedDir }),
      createStorage({ redisUrl, keyPrefix, dataDir: unusedDir }),
    ]);
    try {
      const writers = Array.from({ length: 60 }, (_, i) => ({
        storage: i % 2 === 0 ? one : two,
        name: `w${i}`,
      }));
      await Promise.all(
        writers.map(({ storage, name }) =>
          storage.store<string[]>('docs').update('d', (current) => [...(current ?? []), name]),
        ),
      );
      expect([...((await one.store<string[]>('docs').get('d')) ?? [])].sort()).toEqual(
        writers.map(({ name }) => name).sort(),
      );
      const ids = await Promise.all(
        writers.map(({ storage }) => storage.store<number>('seq').increment('apply')),
      );
      expect([...ids].sort((a, b) => a - b)).toEqual(writers.map((_, i) => i + 1));
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('writes what keyv writes: same key, same serialized value, readable both ways', async () => {
    const keyPrefix = uniquePrefix();
    const storage = await createStorage({ redisUrl, keyPrefix, dataDir: unusedDir });
    try {
      const docs = storage.store<{ text: string }>('docs');
      await docs.set('by-set', { text: ':colon' });
      await docs.update('by-update', () => ({ text: ':colon' }));
      expect(await raw.get(`${keyPrefix}:docs::by-update`)).toBe(await raw.get(`${keyPrefix}:docs::by-set`));
      const counters = storage.store<number>('counters');
      await counters.set('by-set', 7);
      await counters.increment('by-increment');
      expect(await raw.get(`${keyPrefix}:counters::by-set`)).toBe('{"value":7}');
      expect(await raw.get(`${keyPrefix}:counters::by-increment`)).toBe('{"value":1}');
      // A counter with a ttl keeps it, and keyv still reads it.
      await counters.set('brief', 1, 60_000);
      expect(await counters.increment('brief')).toBe(2);
      expect(await counters.get('brief')).toBe(2);
      expect(await raw.pTTL(`${keyPrefix}:counters::brief`)).toBeGreaterThan(50_000);
    } finally {
      await storage.close();
    }
  });

  it('refuses to update or count over a value it cannot read, and leaves it as it was', async () => {
    const keyPrefix = uniquePrefix();
    const storage = await createStorage({ redisUrl, keyPrefix, dataDir: unusedDir });
    try {
      await raw.set(`${keyPrefix}:docs::bad`, '{"value":');
      await raw.set(`${keyPrefix}:docs::text`, '{"value":"seven"}');
      const docs = storage.store<unknown>('docs');
      await expectUnavailable(docs.update('bad', () => 'overwritten'));
      await expect(docs.increment('bad')).rejects.toThrow();
      await expect(docs.increment('text')).rejects.toThrow(/not a counter/);
      expect(await raw.get(`${keyPrefix}:docs::bad`)).toBe('{"value":');
      expect(await raw.get(`${keyPrefix}:docs::text`)).toBe('{"value":"seven"}');
    } finally {
      await storage.close();
    }
  });

  it('refuses work after close instead of reconnecting', async () => {
    const storage = await createStorage({ redisUrl, keyPrefix: uniquePrefix(), dataDir: unusedDir });
    const things = storage.store<number>('things');
    await storage.close();
    await expectUnavailable(things.get('a'));
  });
});
