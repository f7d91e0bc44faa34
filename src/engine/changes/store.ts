import type { Clock, Store } from '../ports/index.js';
import type { NormalizedReport, ResourceChange } from '../puppet/types.js';
import { bodyOf, type ChangeId, changeId, type StoredChange } from './hash.js';
import { type HashedReport, ingestReport } from './record.js';

/**
 * The content-addressed change store: each distinct change body once, by key (`src/engine/changes/
 * hash.ts`), shared by the noop cache, reviews and the permadiff scan. Nodes' records hold keys;
 * a review reads the bodies of the groups it shows, and those mostly from memory.
 */
export interface ChangeStore {
  /** Hashes a report's changes once and stores the bodies not stored yet; the node's record. */
  ingest(report: NormalizedReport): Promise<HashedReport>;
  /** Stores one change's body (a host-normalised change the scan made) and gives its id. */
  add(change: ResourceChange): Promise<ChangeId>;
  /** The bodies of `keys` that the store has; a key it has not is absent from the map. */
  bodies(keys: Iterable<string>): Promise<Map<string, StoredChange>>;
}

/**
 * Bodies outlive the records naming them: a body is written again (its lifetime renewed) when a
 * process that has not written it for `refreshMs` ingests it, so a record written now finds its
 * bodies for at least `ttlMs - refreshMs`, more than the noop cache keeps a record.
 */
export const BODY_TTL_MS = 30 * 86_400_000;
const REFRESH_MS = 86_400_000;
/** Bodies kept in memory: a fleet's distinct changes of a few commits, a few tens of MB at most. */
const MEMORY = 50_000;
/** Store reads in flight at once when bodies are fetched. */
const PARALLEL = 64;

interface Held {
  body: StoredChange;
  /** When this process last wrote it (its lifetime renewed); undefined when it was only read. */
  writtenAt?: number;
}

export const createChangeStore = (deps: {
  store: Store<StoredChange>;
  clock: Clock;
  ttlMs?: number;
  memory?: number;
}): ChangeStore => {
  const ttlMs = deps.ttlMs ?? BODY_TTL_MS;
  const capacity = deps.memory ?? MEMORY;
  // Insertion order is recency: a hit moves the entry to the end, the front is evicted.
  const held = new Map<string, Held>();
  const remember = (key: string, entry: Held) => {
    held.delete(key);
    held.set(key, entry);
    if (held.size > capacity) held.delete(held.keys().next().value as string);
  };
  const write = async (key: string, body: StoredChange) => {
    const now = deps.clock.now();
    const known = held.get(key);
    if (known?.writtenAt !== undefined && now - known.writtenAt < REFRESH_MS) {
      remember(key, known);
      return;
    }
    await deps.store.set(key, body, ttlMs);
    remember(key, { body, writtenAt: now });
  };
  return {
    async ingest(report) {
      const { record, bodies } = ingestReport(report);
      for (const [key, body] of bodies) await write(key, body);
      return record;
    },
    async add(change) {
      const id = changeId(change);
      await write(id.key, { hash: id.hash, change: bodyOf(change) });
      return id;
    },
    async bodies(keys) {
      const found = new Map<string, StoredChange>();
      const missing: string[] = [];
      for (const key of keys) {
        if (found.has(key)) continue;
        const known = held.get(key);
        if (known === undefined) missing.push(key);
        else {
          found.set(key, known.body);
          remember(key, known);
        }
      }
      for (let start = 0; start < missing.length; start += PARALLEL) {
        const batch = missing.slice(start, start + PARALLEL);
        const read = await Promise.all(batch.map((key) => deps.store.get(key)));
        batch.forEach((key, i) => {
          const body = read[i];
          if (body === undefined) return;
          found.set(key, body);
          if (!held.has(key)) remember(key, { body });
        });
      }
      return found;
    },
  };
};
