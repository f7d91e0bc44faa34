import { describe, expect, it } from 'vitest';
import {
  advance,
  type Observation,
  type PermadiffGroup,
  standing,
  streakOf,
} from '../../../src/engine/permadiffs/state.js';
import type { ResourceChange } from '../../../src/engine/puppet/types.js';
import { change } from '../delta/support.js';

const resource: ResourceChange = change({
  type: 'Exec',
  title: 'touch /data/always',
  events: [{ property: 'returns', from: 'notrun', to: '0' }],
});
const seen = (hash: string, nodes: string[]): Observation => ({
  hash,
  resource,
  sources: [],
  nodes,
  owners: [],
});

/** Runs scans in order from empty state; each scan: [scanned nodes, observations]. */
const run = (scans: [string[], Observation[]][], minRuns = 2) => {
  let groups = new Map<string, PermadiffGroup>();
  let dropped: string[] = [];
  scans.forEach(([scanned, observed], i) => {
    ({ groups, dropped } = advance(
      groups,
      { at: (i + 1) * 1000, scanned: new Set(scanned), observed },
      minRuns,
    ));
  });
  return { groups, dropped };
};

const streaks = (group: PermadiffGroup | undefined) =>
  Object.fromEntries((group?.nodes ?? []).map((node, i) => [node, group?.streaks.streak[i]]));

describe('the permadiff state machine', () => {
  it.each([
    {
      name: 'one observation is not yet a permadiff',
      scans: [[['n1', 'n2'], [seen('a', ['n1'])]]] as [string[], Observation[]][],
      streaks: { n1: 1 },
      permadiff: false,
      resolvedAt: undefined,
    },
    {
      name: 'two in a row make one, since the second scan',
      scans: [
        [['n1'], [seen('a', ['n1'])]],
        [['n1'], [seen('a', ['n1'])]],
      ] as [string[], Observation[]][],
      streaks: { n1: 2 },
      permadiff: true,
      since: 2000,
    },
    {
      name: 'a scan that does not see it on a scanned node breaks that node’s streak',
      scans: [
        [['n1', 'n2'], [seen('a', ['n1', 'n2'])]],
        [['n1', 'n2'], [seen('a', ['n2'])]],
        [['n1', 'n2'], [seen('a', ['n1', 'n2'])]],
      ] as [string[], Observation[]][],
      streaks: { n1: 1, n2: 3 },
      permadiff: true,
      since: 2000,
    },
    {
      name: 'a node that could not be scanned keeps its streak, neither extended nor broken',
      scans: [
        [['n1', 'n2'], [seen('a', ['n1', 'n2'])]],
        [['n1'], [seen('a', ['n1'])]],
      ] as [string[], Observation[]][],
      streaks: { n1: 2, n2: 1 },
      permadiff: true,
      since: 2000,
    },
    {
      name: 'a permadiff no scanned node shows any more is resolved',
      scans: [
        [['n1'], [seen('a', ['n1'])]],
        [['n1'], [seen('a', ['n1'])]],
        [['n1'], []],
      ] as [string[], Observation[]][],
      streaks: {},
      permadiff: false,
      since: 2000,
      resolvedAt: 3000,
    },
    {
      name: 'not resolved while a node it was seen on could not be scanned',
      scans: [
        [['n1', 'n2'], [seen('a', ['n1', 'n2'])]],
        [['n1', 'n2'], [seen('a', ['n1', 'n2'])]],
        [['n1'], []],
      ] as [string[], Observation[]][],
      streaks: { n2: 2 },
      permadiff: true,
      since: 2000,
      resolvedAt: undefined,
    },
    {
      name: 'a resolved permadiff that comes back starts a new streak',
      scans: [
        [['n1'], [seen('a', ['n1'])]],
        [['n1'], [seen('a', ['n1'])]],
        [['n1'], []],
        [['n1'], [seen('a', ['n1'])]],
      ] as [string[], Observation[]][],
      streaks: { n1: 1 },
      permadiff: false,
      resolvedAt: undefined,
    },
    {
      name: 'minRuns 3 needs three in a row',
      scans: [
        [['n1'], [seen('a', ['n1'])]],
        [['n1'], [seen('a', ['n1'])]],
      ] as [string[], Observation[]][],
      minRuns: 3,
      streaks: { n1: 2 },
      permadiff: false,
    },
  ])('$name', ({ scans, streaks: expected, permadiff, since, resolvedAt, minRuns = 2 }) => {
    const { groups } = run(scans, minRuns);
    const group = groups.get('a');
    expect(streaks(group)).toEqual(expected);
    expect(standing(groups.values(), minRuns).length > 0).toBe(permadiff);
    expect(group?.since).toBe(since);
    expect(group?.resolvedAt).toBe(resolvedAt);
  });

  it('forgets a one-off drift that goes away before it became a permadiff', () => {
    const { groups, dropped } = run([
      [['n1'], [seen('a', ['n1'])]],
      [['n1'], []],
    ]);
    expect(groups.has('a')).toBe(false);
    expect(dropped).toEqual(['a']);
  });

  it('keeps first-seen per node and per group across scans', () => {
    const { groups } = run([
      [['n1', 'n2'], [seen('a', ['n1'])]],
      [['n1', 'n2'], [seen('a', ['n1', 'n2'])]],
      [['n1', 'n2'], [seen('a', ['n1', 'n2'])]],
    ]);
    const group = groups.get('a');
    expect(group?.firstSeen).toBe(1000);
    expect(group?.lastSeen).toBe(3000);
    expect(group && streakOf(group, 'n1')).toEqual({ firstSeen: 1000, lastSeen: 3000, streak: 3 });
    expect(group && streakOf(group, 'n2')).toEqual({ firstSeen: 2000, lastSeen: 3000, streak: 2 });
  });
});
