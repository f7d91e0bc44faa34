import { randomUUID } from 'node:crypto';
import type { HeldLock, LockInfo, LockRequest, Locks } from '../engine/ports/store.js';
import { type FailureHint, guard, storeUnavailable } from './unavailable.js';

/** The slice of @redis/client the locks use; a structural type keeps the client's generics out. */
export interface LockClient {
  set(key: string, value: string, options: { NX: true; PX: number }): Promise<string | null>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: string; keys: string[] }>;
  mGet(keys: string[]): Promise<Array<string | null>>;
}

export interface RedisLocksOptions {
  client: LockClient;
  /** e.g. `heckler:lock:`; every lock key starts with it. */
  lockPrefix: string;
  /** e.g. `heckler:once:`; claimOnce keys start with it. */
  oncePrefix: string;
  failure: FailureHint;
  now?: () => number;
}

/** What the value of a lock key holds. Redis's PX is the real expiry; `expiresAt` is for display. */
interface LockRecord {
  token: string;
  owner: string;
  reason: string;
  since: number;
  expiresAt: number;
}

// Check-and-act must be one step on the server: between a GET and a DEL the lock could expire
// and be taken by someone else, whose lock we would then delete.
const releaseScript = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, held = pcall(cjson.decode, raw)
if not ok or type(held) ~= 'table' or held.token ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

const renewScript = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, held = pcall(cjson.decode, raw)
if not ok or type(held) ~= 'table' or held.token ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

/** Locks over one Redis shared by every replica: SET NX PX to take, token-checked scripts to let go. */
export const createRedisLocks = ({
  client,
  lockPrefix,
  oncePrefix,
  failure,
  now = Date.now,
}: RedisLocksOptions): Locks => {
  const run = <R>(operation: () => Promise<R>) => guard(failure, operation);

  const inspect = (key: string) => run(async () => parse(key, await client.get(lockPrefix + key)));

  const held = (key: string, record: LockRecord): HeldLock => {
    const lock: HeldLock = {
      key,
      ...record,
      renew: (ttlMs) =>
        run(async () => {
          const expiresAt = now() + ttlMs;
          const value = JSON.stringify({ ...record, expiresAt });
          const renewed = await client.eval(renewScript, {
            keys: [lockPrefix + key],
            arguments: [record.token, value, String(ttlMs)],
          });
          if (renewed === 1) lock.expiresAt = expiresAt;
          return renewed === 1;
        }),
      release: () =>
        run(
          async () =>
            (await client.eval(releaseScript, { keys: [lockPrefix + key], arguments: [record.token] })) === 1,
        ),
    };
    return lock;
  };

  const acquire = async (key: string, { owner, reason, ttlMs }: LockRequest) => {
    checkTtl(ttlMs);
    // The holder can expire between our refused SET and our GET; then the key is free, so try again.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const since = now();
      const record: LockRecord = { token: randomUUID(), owner, reason, since, expiresAt: since + ttlMs };
      const taken = await run(() =>
        client.set(lockPrefix + key, JSON.stringify(record), { NX: true, PX: ttlMs }),
      );
      if (taken === 'OK') return { ok: true as const, lock: held(key, record) };
      const holder = await inspect(key);
      if (holder) return { ok: false as const, holder };
    }
    throw storeUnavailable(new Error(`lock ${key} kept changing hands`), failure);
  };

  const list = () =>
    run(async () => {
      const locks: LockInfo[] = [];
      let cursor = '0';
      do {
        const page = await client.scan(cursor, { MATCH: `${globEscape(lockPrefix)}*`, COUNT: 200 });
        cursor = String(page.cursor);
        if (page.keys.length === 0) continue;
        const values = await client.mGet(page.keys);
        page.keys.forEach((fullKey, index) => {
          const info = parse(fullKey.slice(lockPrefix.length), values[index] ?? null);
          if (info) locks.push(info);
        });
      } while (cursor !== '0');
      return locks.sort((a, b) => a.key.localeCompare(b.key));
    });

  return {
    acquire,
    inspect,
    list,
    forceRelease: (key) => run(async () => (await client.del(lockPrefix + key)) > 0),
    claimOnce: async (key, ttlMs) => {
      checkTtl(ttlMs);
      return run(async () => (await client.set(oncePrefix + key, '1', { NX: true, PX: ttlMs })) === 'OK');
    },
  };
};

/** A value we cannot read (written by something else) is reported as no lock rather than crashing `list`. */
const parse = (key: string, raw: string | null): LockInfo | undefined => {
  if (raw === null) return undefined;
  try {
    const { owner, reason, since, expiresAt } = JSON.parse(raw) as Partial<LockRecord>;
    if (typeof owner !== 'string' || typeof since !== 'number' || typeof expiresAt !== 'number')
      return undefined;
    return { key, owner, reason: typeof reason === 'string' ? reason : '', since, expiresAt };
  } catch {
    return undefined;
  }
};

export const checkTtl = (ttlMs: number): void => {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0)
    throw new RangeError(`a lock ttl must be a positive integer, got ${ttlMs}`);
};

/** SCAN MATCH is a glob: a prefix with `*` or `[` in it must not widen the match. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');
