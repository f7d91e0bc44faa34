import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { StoredChange } from '../../../src/engine/changes/hash.js';
import { memoryStore } from '../../../src/engine/changes/memory.js';
import {
  changeAt,
  changeCount,
  type HashedReport,
  isHashed,
  keyAt,
  whereAt,
} from '../../../src/engine/changes/record.js';
import { createChangeStore } from '../../../src/engine/changes/store.js';
import { noopCacheKey } from '../../../src/engine/delta/fleet-state.js';
import { groupDeltas } from '../../../src/engine/delta/group.js';
import { deltaForNode } from '../../../src/engine/delta/subtract.js';
import type { NodeSpec, Store } from '../../../src/engine/ports/index.js';
import type { NormalizedReport } from '../../../src/engine/puppet/types.js';
import { hashedDeltasAndGroups } from '../../../src/engine/review/compute.js';
import { createNoopCache } from '../../../src/engine/review/noop-cache.js';
import type { FleetService } from '../../../src/engine/runs/fleet-service.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { change, fixtureReport, report } from '../delta/support.js';

/**
 * The change store on both real stores (Redis and the embedded one): each distinct body once, a
 * node's record that gives back exactly its report, and noop cache records written before the
 * store (whole NormalizedReports) hashed on their first read without running Puppet again.
 */
const redisUrl = inject('redisUrl');
const opened: Storage[] = [];
const backends = {
  embedded: () => createStorage({ dataDir: mkdtempSync(join(tmpdir(), 'heckler-changes-')), keyPrefix: 't' }),
  redis: () =>
    createStorage({ redisUrl, keyPrefix: `c${randomUUID().slice(0, 8)}`, dataDir: join(tmpdir(), 'unused') }),
};
const open = async (kind: keyof typeof backends) => {
  const storage = await backends[kind]();
  opened.push(storage);
  return storage;
};
afterAll(async () => {
  for (const storage of opened) await storage.close();
});

const clock = { now: () => 1_000 };
const count = async <T>(store: Store<T>) => {
  let n = 0;
  for await (const _ of store.entries()) n++;
  return n;
};

/** A fleet that must not be asked: a cached noop (old or new format) is served from the store. */
const noFleet = (): Pick<FleetService, 'runSha'> & { asked: number } => {
  const fleet = {
    asked: 0,
    runSha: async () => {
      fleet.asked++;
      return [];
    },
  };
  return fleet;
};

describe.each(Object.keys(backends) as (keyof typeof backends)[])('change store on %s', (kind) => {
  it('stores each distinct body once and gives every report back exactly', async () => {
    const storage = await open(kind);
    const bodies = storage.store<StoredChange>('changes');
    const changes = createChangeStore({ store: bodies, clock });
    const reports = ['noop-v2-node1', 'noop-v2-node2', 'noop-refresh', 'apply-failure'].map((name) =>
      fixtureReport(name),
    );
    const records: HashedReport[] = [];
    for (const each of [...reports, ...reports]) records.push(await changes.ingest(each));
    const distinct = new Set(
      records.flatMap((r) =>
        Array.from({ length: changeCount(r) }, (_, k) => r.keys.slice(k * 16, k * 16 + 16)),
      ),
    );
    expect(await count(bodies)).toBe(distinct.size);
    // A fresh process over the same store: nothing in memory, every body read back.
    const later = createChangeStore({ store: storage.store<StoredChange>('changes'), clock });
    const read = await later.bodies(distinct);
    expect(read.size).toBe(distinct.size);
    reports.forEach((original, i) => {
      const record = records[i] as HashedReport;
      const { resources, ...head } = original;
      const back = resources.map((_, k) =>
        changeAt(record, k, (read.get(record.keys.slice(k * 16, k * 16 + 16)) as StoredChange).change),
      );
      expect(back).toStrictEqual(resources);
      const { keys: _k, where: _w, files: _f, fileWidth: _fw, lineWidth: _lw, format: _v, ...rest } = record;
      expect(rest).toStrictEqual(head);
    });
  });

  it('hashes a noop cached before the store on its first read, without running Puppet', async () => {
    const storage = await open(kind);
    const noops = storage.store<HashedReport | NormalizedReport>('noops');
    const old = fixtureReport('noop-v2-node1', 'node1');
    const key = noopCacheKey({ node: 'node1', commit: 'c1', appliedRevision: 'a1' });
    await noops.set(key, old); // as the previous version wrote it
    const fleet = noFleet();
    const changes = createChangeStore({ store: storage.store<StoredChange>('changes'), clock });
    const cache = createNoopCache({ fleet, store: noops, ttlMs: 60_000, changes });
    const node = { name: 'node1' } as NodeSpec;
    const applied = new Map([['node1', { revision: 'a1', dirty: false }]]);
    const first = await cache.noops('c1', [node], applied);
    expect(fleet.asked).toBe(0);
    const noop = first.get('node1');
    if (noop?.status !== 'ok') throw new Error('no record');
    expect(isHashed(noop.report)).toBe(true);
    // Written back in the new format: the next read takes it as it is.
    const stored = await noops.get(key);
    expect(stored && isHashed(stored)).toBe(true);
    expect(stored).toEqual(noop.report);
    // And grouping from it gives what the old record gave.
    const result = await hashedDeltasAndGroups([{ node: 'node1', commit: noop, parents: [] }], {
      ignored: [],
      changes,
    });
    const before = groupDeltas(
      [deltaForNode({ node: 'node1', commit: { status: 'ok', report: old }, parents: [] })],
      {
        ignored: [],
      },
    );
    expect(result.lost).toBeUndefined();
    expect(result.lost === undefined && result.grouped).toStrictEqual(before);
    expect(before.groups.length).toBeGreaterThan(0);
  });

  it('names the keys whose bodies the store lost, instead of grouping without them', async () => {
    const storage = await open(kind);
    const bodies = storage.store<StoredChange>('changes');
    const record = await createChangeStore({ store: bodies, clock }).ingest(fixtureReport('noop-refresh'));
    const gone = record.keys.slice(0, 16);
    await bodies.delete(gone);
    const fresh = createChangeStore({ store: bodies, clock });
    const result = await hashedDeltasAndGroups(
      [{ node: 'node1', commit: { status: 'ok', report: record }, parents: [] }],
      { ignored: [], changes: fresh },
    );
    expect(result.lost).toEqual(new Set([gone]));
    expect('grouped' in result).toBe(false);
  });
});

describe('hostile changes', () => {
  it('text built to look like another field does not share a key; only file and line are left out', async () => {
    const changes = createChangeStore({ store: (await open('embedded')).store('changes'), clock });
    const a = change({ type: 'File', title: 'x","y', logs: ['z'] });
    const b = change({ type: 'File', title: 'x', logs: ['y', 'z'] });
    const moved = { ...a, file: 'modules/m/init.pp', line: 99 };
    const record = await changes.ingest(report([a, b, moved]));
    const keys = [0, 1, 2].map((k) => record.keys.slice(k * 16, k * 16 + 16));
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBe(keys[0]);
  });

  it('a line no record can hold is dropped, huge ones kept; a forged where is refused', async () => {
    const changes = createChangeStore({ store: (await open('embedded')).store('changes'), clock });
    const record = await changes.ingest(
      report([
        change({ type: 'A', title: '1', file: 'f', line: -3 }),
        change({ type: 'A', title: '2', file: 'f', line: Number.NaN }),
        change({ type: 'A', title: '3', file: 'g', line: 2 ** 40 }),
      ]),
    );
    expect([0, 1, 2].map((k) => whereAt(record, k))).toEqual([
      { file: 'f' },
      { file: 'f' },
      { file: 'g', line: 2 ** 40 },
    ]);
    expect(() => whereAt({ ...record, where: '!!!!!!!!!!!!!!!!!!!!!!' }, 0)).toThrow(RangeError);
  });

  it('megabyte diffs do not pin memory: the bodies beyond the bound are read back from the store', async () => {
    const store = memoryStore<StoredChange>();
    const reads = { count: 0 };
    const counted: Store<StoredChange> = {
      ...store,
      get: (id) => {
        reads.count++;
        return store.get(id);
      },
    };
    const changes = createChangeStore({ store: counted, clock, memoryChars: 3 * 2 ** 20 });
    const big = Array.from({ length: 10 }, (_, i) =>
      change({ type: 'File', title: `/big${i}`, diff: 'x'.repeat(2 ** 20) }),
    );
    const record = await changes.ingest(report(big));
    const keys = Array.from({ length: 10 }, (_, k) => keyAt(record, k));
    const read = await changes.bodies(keys);
    expect(read.size).toBe(10);
    expect(reads.count).toBeGreaterThanOrEqual(7);
    expect(read.get(keys[0] as string)?.change.diff).toHaveLength(2 ** 20);
  });
});
