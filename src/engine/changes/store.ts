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
/**
 * Bodies kept in memory: a fleet's distinct changes of a few commits. Bounded by their size, not
 * their number: a few changes with megabyte diffs must not pin gigabytes.
 */
const MEMORY_CHARS = 64 * 2 ** 20;
/** Store reads in flight at once when bodies are fetched. */
const PARALLEL = 64;

interface Held {
  body: StoredChange;
  /** About how much memory it holds, in characters of its texts. */
  size: number;
  /** When this process last wrote it (its lifetime renewed); undefined when it was only read. */
  writtenAt?: number;
}

const sizeOf = ({ change }: StoredChange): number => {
  let size = 200 + change.title.length + (change.diff?.length ?? 0);
  for (const log of change.logs) size += log.length;
  for (const event of change.events) size += (event.from?.length ?? 0) + (event.to?.length ?? 0);
  return size;
};

export const createChangeStore = (deps: {
  store: Store<StoredChange>;
  clock: Clock;
  ttlMs?: number;
  /** Characters of bodies kept in memory (default 64 Mi). */
  memoryChars?: number;
}): ChangeStore => {
  const ttlMs = deps.ttlMs ?? BODY_TTL_MS;
  const capacity = deps.memoryChars ?? MEMORY_CHARS;
  // Insertion order is recency: a hit moves the entry to the end, the front is evicted.
  const held = new Map<string, Held>();
  let heldChars = 0;
  const remember = (key: string, entry: Held) => {
    const before = held.get(key);
    if (before !== undefined) {
      held.delete(key);
      heldChars -= before.size;
    }
    held.set(key, entry);
    heldChars += entry.size;
    for (const [oldest, { size }] of held) {
      if (heldChars <= capacity || oldest === key) break;
      held.delete(oldest);
      heldChars -= size;
    }
  };
  const write = async (key: string, body: StoredChange) => {
    const now = deps.clock.now();
    const known = held.get(key);
    if (known?.writtenAt !== undefined && now - known.writtenAt < REFRESH_MS) {
      remember(key, known);
      return;
    }
    await deps.store.set(key, body, ttlMs);
    remember(key, { body, size: sizeOf(body), writtenAt: now });
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
          if (!held.has(key)) remember(key, { body, size: sizeOf(body) });
        });
      }
      return found;
    },
  };
};
