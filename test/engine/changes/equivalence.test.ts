import { describe, expect, it } from 'vitest';
import { IGNORED, nodeInput } from '../../../bench/grouping-data.js';
import { groupDeltas, type IgnoreRule } from '../../../src/engine/delta/group.js';
import { groupHashed } from '../../../src/engine/delta/group-hashed.js';
import { hashedDeltaForNode } from '../../../src/engine/delta/hashed.js';
import { type DeltaInput, deltaForNode } from '../../../src/engine/delta/subtract.js';
import type { NormalizedReport } from '../../../src/engine/puppet/types.js';
import { cache, cacheRule, change, fixtureReport, real, report } from '../delta/support.js';
import { hashInputs } from './support.js';

/**
 * The hash-store path must give exactly what the old path gives: the same groups (hashes, nodes,
 * the naturally first node's resource with its file:line, every source), the same counts, errors
 * and delta hash. Each case runs both on the same noops.
 */
const ok = (resources: NormalizedReport['resources'], fields: Partial<NormalizedReport> = {}) =>
  ({ status: 'ok', report: report(resources, fields) }) as const;

const at = <T extends object>(resource: T, file: string, line: number) => ({ ...resource, file, line });
const pkg = (title: string, to: string) =>
  change({ type: 'Package', title, events: [{ property: 'ensure', from: '1', to }] });

const cases: { name: string; inputs: DeltaInput[]; ignored?: IgnoreRule[] }[] = [
  {
    name: 'real fixtures: node-specific diffs, a refresh, a defined type, a failed resource',
    inputs: [
      { node: 'node2', commit: ok([real.motdNode2(), real.reload(), real.vhost()]), parents: [] },
      { node: 'node1', commit: ok([real.motdNode1(), real.reload(), real.failedNotes()]), parents: [] },
      { node: 'node10', commit: ok([real.motd(), real.appConf(), real.reload()]), parents: [] },
    ],
  },
  {
    name: 'a moved resource is subtracted; a changed one is not',
    inputs: [
      {
        node: 'web1',
        commit: ok([real.reloadMoved(), pkg('curl', '2')]),
        parents: [{ revision: 'p', applied: true, noop: ok([real.reload(), pkg('curl', '1')]) }],
      },
      {
        node: 'web2',
        commit: ok([real.reload(), pkg('curl', '2')]),
        parents: [{ revision: 'p', noop: ok([pkg('curl', '2')]) }],
      },
    ],
  },
  {
    name: 'one change declared in two files and at two lines: every source with its nodes',
    inputs: ['a3', 'a1', 'a2', 'b1', 'a10'].map((node, i) => ({
      node,
      commit: ok([at(pkg('vim', '9'), i % 2 ? 'modules/b/init.pp' : 'modules/a/init.pp', 3 + (i % 3))]),
      parents: [],
    })),
  },
  {
    name: 'merge parents, parent errors, failures, evaluation errors, not in lineage',
    inputs: [
      {
        node: 'm1',
        commit: ok([pkg('a', '2'), pkg('b', '2'), pkg('c', '2')]),
        parents: [
          { revision: 'p1', noop: ok([pkg('a', '2')]) },
          { revision: 'p2', noop: ok([pkg('b', '2')]) },
        ],
      },
      {
        node: 'm2',
        commit: ok([pkg('a', '2')]),
        parents: [{ revision: 'p1', noop: { status: 'unreachable', error: 'ssh: no route' } }],
      },
      { node: 'm3', commit: { status: 'failed', error: 'puppet died' }, parents: [] },
      { node: 'm4', commit: ok([], { outcome: 'failed', problem: 'no report' }), parents: [] },
      { node: 'm5', commit: { status: 'ok', report: fixtureReport('noop-file-diff') }, parents: [] },
      {
        node: 'm6',
        commit: ok([pkg('a', '2')], { evalErrors: [{ message: 'boom', file: 'site.pp', line: 4 }] }),
        parents: [{ revision: 'p1', noop: ok([], { outcome: 'compile_error' }) }],
      },
      { node: 'm7', notInLineage: true },
    ],
  },
  {
    name: 'ignore rules, one of them scoped to some nodes: a group splits',
    inputs: ['n1', 'n2', 'n3'].map((node) => ({
      node,
      commit: ok([cache, pkg('zsh', '5')]),
      parents: [],
    })),
    ignored: [
      { type: 'package', title: 'zsh', nodes: ['n2'], purpose: 'p', rationale: 'r', id: 'i1' },
      cacheRule,
    ],
  },
  {
    name: 'the grouping bench fleet (30 nodes)',
    inputs: Array.from({ length: 30 }, (_, i) => {
      const { node, commit, parent } = nodeInput(i, 30);
      return {
        node,
        commit: { status: 'ok', report: JSON.parse(commit) as NormalizedReport },
        parents: [{ revision: 'p', noop: { status: 'ok', report: JSON.parse(parent) as NormalizedReport } }],
      } satisfies DeltaInput;
    }),
    ignored: IGNORED,
  },
];

describe('grouping from the change store', () => {
  it.each(cases)('equals the old path: $name', ({ inputs, ignored = [] }) => {
    const old = groupDeltas(inputs.map(deltaForNode), { ignored });
    const { hashed, bodies } = hashInputs(inputs);
    const now = groupHashed(hashed.map(hashedDeltaForNode), bodies, { ignored });
    expect(now).toStrictEqual(old);
    expect(now.groups.length).toBeGreaterThan(0);
  });

  it('each node delta keeps the changes no parent shows, with their file:line, in report order', () => {
    const [input] = cases[1]?.inputs ?? [];
    const { hashed } = hashInputs([input as DeltaInput]);
    const delta = hashedDeltaForNode(hashed[0] as (typeof hashed)[number]);
    const old = deltaForNode(input as DeltaInput);
    expect(delta.keys).toHaveLength(old.resources.length);
    expect(delta.where).toEqual(old.resources.map(({ file, line }) => ({ file, line })));
    expect(delta.kind).toBe('changes');
  });

  it('refuses a key without a body, saying what to do', () => {
    const { hashed } = hashInputs(cases[0]?.inputs ?? []);
    expect(() => groupHashed(hashed.map(hashedDeltaForNode), new Map(), { ignored: [] })).toThrow(
      /no body for change/,
    );
  });
});
