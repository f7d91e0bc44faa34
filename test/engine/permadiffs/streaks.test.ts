import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { naturalCompare } from '../../../src/engine/delta/hostlist.js';
import { createPermadiffService, type PermadiffDeps } from '../../../src/engine/permadiffs/service.js';
import {
  advance,
  type LegacyPermadiffGroup,
  leastOn,
  type NodeStreak,
  nextStreaks,
  type Observation,
  type PermadiffGroup,
  permadiffNodes,
  upgradeGroup,
} from '../../../src/engine/permadiffs/state.js';
import type { ResourceChange } from '../../../src/engine/puppet/types.js';
import { createStorage } from '../../../src/storage/keyv.js';
import { change } from '../delta/support.js';

/**
 * Streaks kept as arrays aligned with a group's sorted nodes: the same results as the object per
 * node they replaced (written out below as it was), and stored state of that shape still read.
 */
const resource: ResourceChange = change({
  type: 'Exec',
  title: 'touch /data/always',
  events: [{ property: 'returns', from: 'notrun', to: '0' }],
});

type ByNode = Record<string, NodeStreak>;

/** The per-node step of the object-per-node state, as it was: the reference for `nextStreaks`. */
const referenceStep = (
  before: ByNode,
  observed: readonly string[],
  scanned: ReadonlySet<string>,
  at: number,
) => {
  const nodes: ByNode = {};
  for (const node in before) if (!scanned.has(node)) nodes[node] = before[node] as NodeStreak;
  for (const node of observed) {
    const was = before[node];
    nodes[node] = { firstSeen: was ? was.firstSeen : at, lastSeen: at, streak: was ? was.streak + 1 : 1 };
  }
  return Object.fromEntries(Object.entries(nodes).sort(([a], [b]) => naturalCompare(a, b)));
};

const byNode = (group: Pick<PermadiffGroup, 'nodes' | 'streaks'>): ByNode =>
  Object.fromEntries(
    group.nodes.map((node, i) => [
      node,
      {
        firstSeen: group.streaks.firstSeen[i] as number,
        lastSeen: group.streaks.lastSeen[i] as number,
        streak: group.streaks.streak[i] as number,
      },
    ]),
  );

const arraysOf = (nodes: ByNode): Pick<PermadiffGroup, 'nodes' | 'streaks'> => {
  const { nodes: sorted, streaks } = upgradeGroup({ nodes } as unknown as LegacyPermadiffGroup);
  return { nodes: sorted, streaks };
};

const s = (firstSeen: number, lastSeen: number, streak: number): NodeStreak => ({
  firstSeen,
  lastSeen,
  streak,
});

describe('nextStreaks, against the object-per-node step it replaced', () => {
  it.each([
    {
      name: 'new: every observed node starts at 1',
      before: {},
      observed: ['web2', 'web10'],
      scanned: ['web2', 'web10'],
    },
    {
      name: 'continued: the same nodes again grow by one',
      before: { web2: s(1, 1, 1), web10: s(1, 1, 3) },
      observed: ['web2', 'web10'],
      scanned: ['web2', 'web10'],
    },
    {
      name: 'broken: a scanned node not observed drops out',
      before: { web1: s(1, 1, 2), web2: s(1, 1, 2) },
      observed: ['web2'],
      scanned: ['web1', 'web2'],
    },
    {
      name: 'carried: a node not scanned keeps its streak, in natural order among new ones',
      before: { web9: s(1, 1, 2), web11: s(1, 1, 5) },
      observed: ['web2', 'web10', 'web12'],
      scanned: ['web2', 'web10', 'web12'],
    },
    {
      name: 'resolved: nothing observed, everything scanned',
      before: { web1: s(1, 1, 2) },
      observed: [],
      scanned: ['web1'],
    },
    {
      name: 'nothing observed, nothing scanned: all carried',
      before: { web1: s(1, 1, 2), web3: s(1, 1, 1) },
      observed: [],
      scanned: [],
    },
    {
      name: 'padded and unpadded names side by side',
      before: { web01: s(1, 1, 1), web1: s(1, 1, 4), web010: s(1, 1, 2) },
      observed: ['web1', 'web2', 'web010'],
      scanned: ['web01', 'web1', 'web2'],
    },
  ] as { name: string; before: ByNode; observed: string[]; scanned: string[] }[])(
    '$name',
    ({ before, observed, scanned }) => {
      const got = nextStreaks(arraysOf(before), observed, new Set(scanned), 7);
      expect(byNode(got)).toEqual(referenceStep(before, observed, new Set(scanned), 7));
      expect(got.nodes).toEqual([...got.nodes].sort(naturalCompare));
    },
  );

  it('matches over many random scans of a small fleet', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const fleet = Array.from({ length: 14 }, (_, i) => `n${i + 1}`);
    let arrays = arraysOf({});
    let reference: ByNode = {};
    for (let scan = 1; scan <= 300; scan++) {
      const scanned = new Set(fleet.filter(() => random() < 0.8));
      const observed = fleet.filter((node) => scanned.has(node) && random() < 0.6);
      arrays = nextStreaks(arrays, observed, scanned, scan);
      reference = referenceStep(reference, observed, scanned, scan);
      expect(byNode(arrays)).toEqual(reference);
    }
  });
});

describe('reading a group, whatever shape it was stored in', () => {
  const legacy: LegacyPermadiffGroup = {
    hash: 'h',
    resource,
    sources: [],
    nodes: { web10: s(10, 30, 3), web2: s(20, 30, 2) },
    firstSeen: 10,
    lastSeen: 30,
    since: 20,
    owners: [],
  };

  it('turns an object per node into arrays in natural node order', () => {
    const group = upgradeGroup(legacy);
    expect(group.nodes).toEqual(['web2', 'web10']);
    expect(group.streaks).toEqual({ firstSeen: [20, 10], lastSeen: [30, 30], streak: [2, 3] });
    expect(upgradeGroup(group)).toBe(group);
  });

  it('advances an upgraded group as it would have advanced the old one', () => {
    const observed: Observation = { hash: 'h', resource, sources: [], nodes: ['web2', 'web3'], owners: [] };
    const next = advance(
      new Map([['h', upgradeGroup(legacy)]]),
      { at: 40, scanned: new Set(['web2', 'web3']), observed: [observed] },
      2,
    );
    const group = next.groups.get('h') as PermadiffGroup;
    expect(byNode(group)).toEqual({ web2: s(20, 40, 3), web3: s(40, 40, 1), web10: s(10, 30, 3) });
    expect(group.since).toBe(20);
    expect(permadiffNodes(group, 2)).toEqual(['web2', 'web10']);
  });

  it('the service reads state an older version stored', async () => {
    const storage = await createStorage({
      dataDir: mkdtempSync(join(tmpdir(), 'heckler-streaks-')),
      keyPrefix: 'streaks',
    });
    try {
      const groups = storage.store<PermadiffGroup | LegacyPermadiffGroup>('permadiffs');
      await groups.set('h', legacy);
      const service = createPermadiffService({
        groups,
        scans: storage.store('permadiff-scans'),
        minRuns: 2,
      } as unknown as PermadiffDeps);
      const [group] = (await service.current()).groups;
      expect(group?.nodes).toEqual(['web2', 'web10']);
      expect(group?.streaks.streak).toEqual([2, 3]);
    } finally {
      await storage.close();
    }
  });
});

describe('what views read of the arrays', () => {
  const group = upgradeGroup({
    hash: 'h',
    resource,
    sources: [],
    nodes: { web1: s(5, 9, 1), web2: s(3, 9, 4), web3: s(7, 9, 2) },
    firstSeen: 2,
    lastSeen: 9,
    owners: [],
  });

  it.each([
    { nodes: ['web1', 'web2', 'web3'], streak: 1, firstSeen: 3 },
    { nodes: ['web2', 'web3'], streak: 2, firstSeen: 3 },
    { nodes: ['web3'], streak: 2, firstSeen: 7 },
    { nodes: ['web3', 'gone'], streak: 0, firstSeen: 2 },
    { nodes: [], streak: 0, firstSeen: 2 },
  ])('leastOn $nodes', ({ nodes, streak, firstSeen }) => {
    expect(leastOn(group, nodes)).toEqual({ streak, firstSeen });
  });

  it.each([
    { minRuns: 1, nodes: ['web1', 'web2', 'web3'] },
    { minRuns: 2, nodes: ['web2', 'web3'] },
    { minRuns: 5, nodes: [] },
  ])('permadiffNodes at minRuns $minRuns', ({ minRuns, nodes }) => {
    expect(permadiffNodes(group, minRuns)).toEqual(nodes);
  });
});
