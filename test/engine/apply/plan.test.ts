import { describe, expect, it } from 'vitest';
import { type Lineage, type PlanInput, planApply, type ReviewFacts } from '../../../src/engine/apply/plan.js';

/**
 * The history of the fixture repo (test/support/puppet-repo.ts), by name:
 *   c0 ─ v1 ─ f1 ─ f2 ─ v2       and a hotfix branch off v1: v1 ─ h1 (tag v1.1)
 */
const sha = (name: string) => name.padEnd(40, '0').replace(/[^0-9a-f]/g, 'e');
const V1 = sha('a1');
const V2 = sha('a2');
const HOT = sha('b1');
const F1 = sha('f1');
const F2 = sha('f2');
const C0 = sha('c0');
const HASH = 'fleet-now';

const approved: ReviewFacts = { status: 'approved', fleetHash: HASH, owners: [], decidedBy: 'U0ADMIN' };

const input = (over: Partial<PlanInput> & Pick<PlanInput, 'sha' | 'nodes'>): PlanInput => ({
  lineage: new Map(),
  brings: new Map(),
  takesAway: new Map(),
  commits: new Map(
    [C0, V1, F1, F2, V2, HOT].map((s) => [
      s,
      { shortSha: s.slice(0, 7), subject: `commit ${s.slice(0, 2)}` },
    ]),
  ),
  reviews: new Map([C0, V1, F1, F2, V2, HOT].map((s) => [s, approved])),
  names: new Map([
    [V1, ['v1']],
    [V2, ['v2']],
    [HOT, ['v1.1', 'hotfix/v1.1']],
  ]),
  fleetHash: HASH,
  force: false,
  ...over,
});

/** Applying REV to nodes on V1, V2 and HOT: how REV relates to each, and what it brings or takes. */
const towards = (rev: string): Pick<PlanInput, 'lineage' | 'brings' | 'takesAway'> => {
  const table: Record<string, Record<string, { lineage: Lineage; brings: string[]; takes: string[] }>> = {
    [V2]: {
      [V1]: { lineage: 'behind', brings: [F1, F2, V2], takes: [] },
      [V2]: { lineage: 'same', brings: [], takes: [] },
      [HOT]: { lineage: 'diverged', brings: [F1, F2, V2], takes: [HOT] },
    },
    [HOT]: {
      [V1]: { lineage: 'behind', brings: [HOT], takes: [] },
      [V2]: { lineage: 'diverged', brings: [HOT], takes: [F1, F2, V2] },
      [HOT]: { lineage: 'same', brings: [], takes: [] },
    },
    [V1]: {
      [V1]: { lineage: 'same', brings: [], takes: [] },
      [V2]: { lineage: 'ahead', brings: [], takes: [F1, F2, V2] },
      [HOT]: { lineage: 'ahead', brings: [], takes: [HOT] },
    },
  };
  const rows = Object.entries(table[rev] ?? {});
  return {
    lineage: new Map(rows.map(([from, row]) => [from, row.lineage])),
    brings: new Map([...rows.map(([from, row]) => [from, row.brings] as const), ['', [C0, V1]]]),
    takesAway: new Map(rows.map(([from, row]) => [from, row.takes])),
  };
};

const on = (node: string, revision?: string, dirty = false) => ({
  node,
  dirty,
  ...(revision ? { revision } : {}),
});

describe('planApply', () => {
  it.each([
    {
      what: 'v1 → v2 directly: the intermediate commits come along, no tag in between needed',
      rev: V2,
      nodes: [on('n1', V1), on('n2', V1)],
      apply: ['n1', 'n2'],
      skipped: [],
      commits: [F1, F2, V2],
    },
    {
      what: 'nodes at REV are skipped',
      rev: V2,
      nodes: [on('n1', V2), on('n2', V1)],
      apply: ['n2'],
      skipped: ['n1: already at v2 (a200000)'],
      commits: [F1, F2, V2],
    },
    {
      what: 'a dirty node at REV is applied again (its last apply failed), bringing nothing new',
      rev: V2,
      nodes: [on('n1', V2, true)],
      apply: ['n1'],
      skipped: [],
      commits: [],
    },
    {
      what: 'the hotfix tag v1.1 (off v1) applies to nodes on v1',
      rev: HOT,
      nodes: [on('n1', V1)],
      apply: ['n1'],
      skipped: [],
      commits: [HOT],
    },
    {
      what: 'nodes beyond REV are skipped, dirty or not',
      rev: V1,
      nodes: [on('n1', V2), on('n2', HOT, true), on('n3', V1)],
      apply: [],
      skipped: [
        'n1: already beyond it, at v2 (a200000)',
        'n2: already beyond it, at v1.1, hotfix/v1.1 (b100000) (dirty)',
        'n3: already at v1 (a100000)',
      ],
      commits: [],
    },
    {
      what: 'a node never applied by Heckler brings all of REV’s history',
      rev: V1,
      nodes: [on('n1')],
      apply: ['n1'],
      skipped: [],
      commits: [C0, V1],
    },
    {
      what: 'a node whose state cannot be read is skipped: its lineage is unknown',
      rev: V2,
      nodes: [{ node: 'n1', dirty: false, unreadable: 'connection refused' }],
      apply: [],
      skipped: ['n1: could not read what it runs: connection refused'],
      commits: [],
    },
  ])('$what', ({ rev, nodes, apply, skipped, commits }) => {
    const plan = planApply(input({ sha: rev, nodes, ...towards(rev) }));
    expect(plan.nodes.map((n) => n.node)).toEqual(apply);
    expect(plan.skipped.map((s) => `${s.node}: ${s.detail}`)).toEqual(skipped);
    expect(plan.commits).toEqual(commits);
    expect(plan.rollbacks).toEqual([]);
    expect(plan.blockers).toEqual([]);
  });

  it.each([
    { what: 'v1.1 on a node at v2 would take v2 away', rev: HOT, from: V2, takes: [F1, F2, V2] },
    { what: 'v2 on a node at v1.1 would take the hotfix away', rev: V2, from: HOT, takes: [HOT] },
  ])('a rollback is refused without --force: $what', ({ rev, from, takes }) => {
    const plan = planApply(input({ sha: rev, nodes: [on('n1', from), on('n2', V1)], ...towards(rev) }));
    expect(plan.rollbacks).toEqual([{ node: 'n1', from, takesAway: takes }]);
    expect(plan.nodes.map((n) => n.node)).toEqual(['n2']);
  });

  it('--force rolls back nodes beside or beyond REV, saying what they lose', () => {
    const beside = planApply(input({ sha: HOT, nodes: [on('n1', V2)], force: true, ...towards(HOT) }));
    expect(beside.rollbacks).toEqual([]);
    expect(beside.nodes).toEqual([
      { node: 'n1', from: { sha: V2, names: ['v2'] }, dirty: false, commits: [HOT], rollsBack: [F1, F2, V2] },
    ]);
    const beyond = planApply(input({ sha: V1, nodes: [on('n1', V2)], force: true, ...towards(V1) }));
    expect(beyond.nodes[0]).toMatchObject({ node: 'n1', commits: [], rollsBack: [F1, F2, V2] });
  });

  it('merges the commits of nodes on different revisions, oldest first, each once', () => {
    const plan = planApply(input({ sha: V2, nodes: [on('n1', V1), on('n2')], ...towards(V2) }));
    expect(plan.commits).toEqual([F1, F2, V2, C0, V1]);
  });
});

describe('blockers', () => {
  const plan = (reviews: Map<string, ReviewFacts>) =>
    planApply(input({ sha: V2, nodes: [on('n1', V1)], reviews, ...towards(V2) }));

  it.each([
    { what: 'no review: not yet nooped', review: undefined, kind: 'not_nooped' },
    {
      what: 'a review of another fleet state: stale, even when approved',
      review: { ...approved, fleetHash: 'before' },
      kind: 'stale',
    },
    {
      what: 'pending: waiting for its owners',
      review: { status: 'pending', fleetHash: HASH, owners: ['U0BOB'] },
      kind: 'pending',
    },
    {
      what: 'denied, with who and why (stale or not)',
      review: { status: 'denied', fleetHash: 'before', owners: [], decidedBy: 'U0ADA', reason: 'risky' },
      kind: 'denied',
    },
  ] as const)('$what', ({ review, kind }) => {
    const reviews = new Map([
      [F1, approved],
      [V2, { ...approved, status: 'auto_approved' as const }],
    ]);
    if (review) reviews.set(F2, review as ReviewFacts);
    const found = plan(reviews).blockers;
    expect(found.map((b) => [b.shortSha, b.kind])).toEqual([[F2.slice(0, 7), kind]]);
    if (kind === 'pending') expect(found[0]?.owners).toEqual(['U0BOB']);
    if (kind === 'denied') expect(found[0]).toMatchObject({ by: 'U0ADA', reason: 'risky' });
  });

  it('approved and auto-approved commits for the fleet as it is block nothing', () => {
    const reviews = new Map<string, ReviewFacts>([
      [F1, approved],
      [F2, { ...approved, status: 'auto_approved' }],
      [V2, approved],
    ]);
    expect(plan(reviews).blockers).toEqual([]);
  });
});
