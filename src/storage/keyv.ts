import KeyvRedis, { createClient } from '@keyv/redis';
import { Keyv, type KeyvStoreAdapter } from 'keyv';
import type { Logger } from '../engine/ports/logger.js';
import type { Locks, Store } from '../engine/ports/store.js';
import { atomicOps, type RawSwap } from './atomic.js';
import { redisSwap } from './atomic-redis.js';
import { FileLog } from './file-log.js';
import { KeyvFileStore } from './file-store.js';
import { createEmbeddedLocks } from './locks-embedded.js';
import { createRedisLocks } from './locks-redis.js';
import { type FailureHint, guard, storeUnavailable, withDeadline } from './unavailable.js';

export interface StorageOptions {
  /** Set: Redis, shared by every replica. Unset: the embedded store in `dataDir`, one process only. */
  redisUrl?: string;
  dataDir: string;
  /** Starts every key, so several bots can share one Redis. */
  keyPrefix: string;
  logger?: Logger;
  /** How long to wait for Redis at start before giving up. */
  connectTimeoutMs?: number;
  /** Embedded store: the log is never compacted below this many records. */
  compactMinRecords?: number;
  /** Embedded store: the clock TTLs and locks expire by (tests advance their own). Redis expires on its own clock. */
  now?: () => number;
  /**
   * Redis: how long one command may wait for its answer. A Redis that is down fails commands at
   * once; one that accepts the connection but does not answer (frozen, overloaded, a network that
   * drops packets) fails them after this long, as STORE_UNAVAILABLE.
   */
  commandTimeoutMs?: number;
}

export interface Storage {
  readonly kind: 'redis' | 'embedded';
  /** One record type; the same namespace always gives the same store. */
  store<T>(namespace: string): Store<T>;
  readonly locks: Locks;
  close(): Promise<void>;
}

/** Namespaces the locks use for themselves (the Redis lock SCAN would otherwise match them). */
const reserved = new Set(['lock', 'once']);
const namespacePattern = /^[a-z0-9_-]{1,64}$/i;

export const createStorage = (options: StorageOptions): Promise<Storage> =>
  options.redisUrl ? openRedis(options.redisUrl, options) : openEmbedded(options);

interface Backend {
  kind: Storage['kind'];
  failure: FailureHint;
  keyPrefix: string;
  /** A fresh adapter per namespace: Keyv writes its namespace into the adapter it is given. */
  adapter(): KeyvStoreAdapter;
  /** Compare-and-set on the namespace the adapter was given (set by Keyv before this is called). */
  swap(adapter: KeyvStoreAdapter): RawSwap;
  locks(namespace: <T>(name: string) => Store<T>): Locks;
  close(): Promise<void>;
}

const assemble = (backend: Backend): Storage => {
  const stores = new Map<string, Store<unknown>>();
  let closed = false;
  const run = <R>(operation: () => Promise<R>) =>
    guard(backend.failure, async () => {
      // Keyv would otherwise reconnect a closed Redis client behind our back.
      if (closed) throw new Error('storage is closed');
      return operation();
    });

  const namespace = <T>(name: string): Store<T> => {
    const existing = stores.get(name);
    if (existing) return existing as Store<T>;
    const adapter = backend.adapter();
    // useKeyPrefix off: the adapter prefixes `namespace::key` itself, and Keyv's own `ns:` prefix
    // would be added on top of it.
    const keyv = new Keyv<T>(adapter, {
      namespace: `${backend.keyPrefix}:${name}`,
      useKeyPrefix: false,
      throwOnErrors: true,
    });
    const store: Store<T> = {
      get: (id) => run(() => keyv.get<T>(id)),
      set: (id, value, ttlMs) => run(async () => void (await keyv.set(id, value, ttlMs))),
      delete: (id) => run(() => keyv.delete(id)),
      entries: () => liveEntries<T>(keyv, adapter, run),
      ...atomicOps(keyv, backend.swap(adapter), {
        run,
        contended: (id) =>
          storeUnavailable(new Error(`record ${name}/${id} kept changing under concurrent writes`), {
            what: backend.failure.what,
            hint: 'Try again; if it persists, something is rewriting that record in a loop.',
          }),
      }),
    };
    stores.set(name, store as Store<unknown>);
    return store;
  };

  return {
    kind: backend.kind,
    store: <T>(name: string) => {
      if (!namespacePattern.test(name) || reserved.has(name)) {
        throw new RangeError(
          `bad store namespace ${JSON.stringify(name)}: letters, digits, _ and -; not lock or once`,
        );
      }
      return namespace<T>(name);
    },
    locks: backend.locks(namespace),
    close: async () => {
      if (closed) return;
      closed = true;
      await backend.close();
    },
  };
};

/**
 * Keyv builds its own iterator only for adapters whose dialect is on a hard-coded list, which the
 * file store is not; reading the adapter's iterator directly gives both backends one code path.
 */
async function* liveEntries<T>(
  keyv: Keyv<T>,
  adapter: KeyvStoreAdapter,
  run: <R>(operation: () => Promise<R>) => Promise<R>,
): AsyncGenerator<[string, T]> {
  const iterator = await run(async () => adapter.iterator?.(keyv.namespace)[Symbol.asyncIterator]());
  if (!iterator) throw new Error('this keyv adapter cannot iterate');
  try {
    for (;;) {
      const step = await run(() => iterator.next());
      if (step.done) return;
      const [key, raw] = step.value;
      // A key can expire between Redis's SCAN and its MGET: then there is no value.
      if (typeof key !== 'string' || typeof raw !== 'string') continue;
      const data = await keyv.deserialize?.<T>(raw);
      if (!data || (typeof data.expires === 'number' && data.expires <= Date.now())) continue;
      yield [key, data.value as T];
    }
  } finally {
    await iterator.return?.();
  }
}

const openEmbedded = async ({ dataDir, keyPrefix, logger, compactMinRecords, now }: StorageOptions) => {
  const failure = {
    what: `the embedded store in ${dataDir}`,
    hint: `Check that ${dataDir} is writable and the disk is not full (or set REDIS_URL to use Redis).`,
  };
  const log = await guard(failure, async () =>
    FileLog.open(dataDir, {
      ...(compactMinRecords === undefined ? {} : { compactMinRecords }),
      ...(now === undefined ? {} : { now }),
      onWarning: (details, message) => logger?.warn(details, message),
    }),
  );
  return assemble({
    kind: 'embedded',
    failure,
    keyPrefix,
    adapter: () => new KeyvFileStore(log),
    swap: (adapter) => {
      const file = adapter as KeyvFileStore;
      return {
        read: async (id) => file.read(id),
        swap: async (id, expected, next, ttl) => file.swap(id, expected, next, ttl),
      };
    },
    locks: (namespace) =>
      createEmbeddedLocks({ locks: namespace('lock'), claims: namespace('once'), ...(now ? { now } : {}) }),
    close: async () => log.close(),
  });
};

const openRedis = async (
  url: string,
  { keyPrefix, logger, connectTimeoutMs = 3_000, commandTimeoutMs = 5_000 }: StorageOptions,
) => {
  const failure: FailureHint = {
    what: `Redis at ${redact(url)}`,
    hint: 'Check that Redis is running and REDIS_URL is right, or unset REDIS_URL to use the embedded store.',
    deadlineMs: commandTimeoutMs,
  };
  let started = false;
  let down = false;
  const client = await guard({ what: failure.what, hint: failure.hint }, async () =>
    createClient({
      url,
      // While Redis is down, commands fail at once instead of queueing: a lock request must fail
      // closed, not hang until Redis comes back. One sent to a Redis that stops answering fails
      // at `failure.deadlineMs`.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: connectTimeoutMs,
        // Unreachable at start is a setup problem, reported at once; later outages are retried.
        reconnectStrategy: (retries) => (started ? Math.min(100 * 2 ** retries, 2_000) : false),
      },
    }),
  );
  client.on('error', (error: unknown) => {
    if (started && !down) logger?.warn({ err: error }, 'lost the connection to redis; retrying');
    down = started;
  });
  client.on('ready', () => {
    if (down) logger?.info({}, 'reconnected to redis');
    down = false;
  });
  try {
    await withDeadline(client.connect(), connectTimeoutMs + 1_000);
    started = true;
  } catch (error) {
    if (client.isOpen) client.destroy();
    throw storeUnavailable(error, failure);
  }
  return assemble({
    kind: 'redis',
    failure,
    keyPrefix,
    adapter: () => {
      // Each adapter adds its own listeners to the shared client: make room so Node does not warn.
      client.setMaxListeners(client.getMaxListeners() + 1);
      return new KeyvRedis(client, { throwOnErrors: true, throwOnConnectError: true });
    },
    swap: (adapter) => {
      const redis = adapter as KeyvRedis<unknown>;
      return redisSwap(client, (id) => redis.createKeyPrefix(id, redis.namespace));
    },
    locks: () =>
      createRedisLocks({
        client,
        lockPrefix: `${keyPrefix}:lock:`,
        oncePrefix: `${keyPrefix}:once:`,
        failure,
      }),
    close: async () => {
      if (client.isOpen) await client.close().catch(() => client.destroy());
    },
  });
};

/** Error messages reach chat and logs; the Redis password must not. */
const redact = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'REDIS_URL';
  }
};
