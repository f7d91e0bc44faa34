import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeFleet } from '../../../src/compose/fleet.js';
import type { StoredChange } from '../../../src/engine/changes/hash.js';
import {
  changeAt,
  changeCount,
  type HashedReport,
  isHashed,
  keyAt,
} from '../../../src/engine/changes/record.js';
import { systemClock } from '../../../src/engine/ports/index.js';
import type { NormalizedReport } from '../../../src/engine/puppet/types.js';
import { readFleetState } from '../../../src/engine/review/compute.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { RecordingChat } from '../../fakes/recording-chat.js';
import { testConfig } from '../../support/config.js';
import { captureLogger } from '../../support/logger.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../support/puppet-repo.js';

/**
 * The change store end to end, with real Puppet on two local nodes and the embedded store: a bot
 * restarted over a store that lost the change bodies noops the nodes again and shows the same
 * review; one restarted over noops cached by the previous version (whole reports) reads them
 * without running Puppet and shows the same review.
 */
let dir: string;
let storage: Storage;
let repo: PuppetRepoFixture;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heckler-changes-e2e-'));
  repo = await createPuppetRepo(join(dir, 'repo'));
  storage = await createStorage({ dataDir: join(dir, 'data'), keyPrefix: 'test' });
}, 60_000);
afterAll(() => storage?.close());

/** A bot over the shared store, as after a restart: nothing in memory; counts the Puppet runs it asks for. */
const bot = async (name: string) => {
  const config = testConfig({
    repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, `mirror-${name}`) },
    fleet: {
      transport: 'local',
      nodes: { node1: { workDir: join(dir, 'node1') }, node2: { workDir: join(dir, 'node2') } },
    },
  });
  const runs = { count: 0 };
  const made = await composeFleet({
    config,
    storage,
    logger: captureLogger().logger,
    clock: systemClock,
    chat: new RecordingChat(),
    decorateFleet: (service) => ({
      ...service,
      runSha: (...args: Parameters<typeof service.runSha>) => {
        runs.count += args[1].length;
        return service.runSha(...args);
      },
    }),
  });
  if (!made) throw new Error('no fleet');
  const review = async (sha: string, fleetHash: string) => {
    const state = await readFleetState(made.service, made.service.nodes());
    return made.reviews.review(sha, { nodes: made.service.nodes(), state: { ...state, fleetHash } });
  };
  return { made, runs, review };
};

const entries = async <T>(namespace: string) => {
  const all: [string, T][] = [];
  for await (const entry of storage.store<T>(namespace).entries()) all.push(entry);
  return all;
};

describe('the change store across restarts', { timeout: 600_000 }, () => {
  let first: { deltaHash: string; groups: number };

  it('a review stores bodies once and noop records of keys', async () => {
    const one = await bot('one');
    const record = await one.review(repo.commits.feature, 'fleet-1');
    first = { deltaHash: record.grouped.deltaHash, groups: record.grouped.groups.length };
    expect(first.groups).toBeGreaterThan(0);
    expect(one.runs.count).toBeGreaterThan(0);
    const noops = await entries<HashedReport | NormalizedReport>('noops');
    expect(noops.length).toBeGreaterThan(0);
    expect(noops.every(([, value]) => isHashed(value))).toBe(true);
    expect((await entries<StoredChange>('changes')).length).toBeGreaterThan(0);
    await one.made.close();
  });

  it('bodies lost from the store: the nodes are nooped again and the review is the same', async () => {
    for (const [key] of await entries<StoredChange>('changes')) await storage.store('changes').delete(key);
    const two = await bot('two');
    const record = await two.review(repo.commits.feature, 'fleet-2');
    expect(two.runs.count).toBeGreaterThan(0);
    expect(record.grouped.deltaHash).toBe(first.deltaHash);
    expect(record.grouped.groups).toHaveLength(first.groups);
    await two.made.close();
  });

  it('noops cached by the previous version (whole reports) are read without running Puppet', async () => {
    const bodies = new Map(await entries<StoredChange>('changes'));
    const noops = storage.store<HashedReport | NormalizedReport>('noops');
    for (const [key, value] of await entries<HashedReport | NormalizedReport>('noops')) {
      if (!isHashed(value)) continue;
      const { keys: _k, where: _w, files: _f, fileWidth: _fw, lineWidth: _lw, format: _v, ...head } = value;
      const resources = Array.from({ length: changeCount(value) }, (_, k) =>
        changeAt(value, k, (bodies.get(keyAt(value, k)) as StoredChange).change),
      );
      await noops.set(key, { ...head, resources } satisfies NormalizedReport, 60_000);
    }
    expect((await entries<HashedReport | NormalizedReport>('noops')).some(([, v]) => !isHashed(v))).toBe(
      true,
    );
    const three = await bot('three');
    const record = await three.review(repo.commits.feature, 'fleet-3');
    expect(three.runs.count).toBe(0);
    expect(record.grouped.deltaHash).toBe(first.deltaHash);
    expect((await entries<HashedReport | NormalizedReport>('noops')).every(([, v]) => isHashed(v))).toBe(
      true,
    );
    await three.made.close();
  });
});
