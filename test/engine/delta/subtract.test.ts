import { describe, expect, it } from 'vitest';
import { changeHash } from '../../../src/engine/delta/change-key.js';
import {
  type DeltaInput,
  deltaForNode,
  type NodeDelta,
  type NodeNoop,
  notInLineage,
  type ParentNoop,
} from '../../../src/engine/delta/subtract.js';
import type { ResourceChange } from '../../../src/engine/puppet/types.js';
import { fixtureReport, fixtureRun, real, report } from './support.js';

const ok = (resources: ResourceChange[]): NodeNoop => ({ status: 'ok', report: report(resources) });
const parent = (revision: string, noop: NodeNoop, applied = false): ParentNoop => ({
  revision,
  noop,
  applied,
});
const refs = (delta: NodeDelta) => delta.resources.map((r) => `${r.type}[${r.title}]`);

const motd = real.motd();
const appConf = real.appConf();
const reload = real.reload();
const vhost = real.vhost();
const broken = fixtureRun('compile-error');

interface Case {
  name: string;
  input: DeltaInput;
  kind: NodeDelta['kind'];
  resources: string[];
  parentErrors?: Partial<NodeDelta['parentErrors'][number]>[];
}

const cases: Case[] = [
  {
    name: 'single parent: only what the parent does not show',
    input: { node: 'node1', commit: ok([motd, appConf, reload]), parents: [parent('p', ok([motd]))] },
    kind: 'changes',
    resources: ['File[/data/webapp/app.conf]', 'Exec[reload webapp]'],
  },
  {
    name: 'single parent: nothing new',
    input: { node: 'node1', commit: ok([motd]), parents: [parent('p', ok([motd]))] },
    kind: 'unchanged',
    resources: [],
  },
  {
    name: 'same title, another diff in the parent: kept (deep equality, not the title)',
    input: { node: 'node1', commit: ok([real.motdNode1()]), parents: [parent('p', ok([motd]))] },
    kind: 'changes',
    resources: ['File[/data/motd]'],
  },
  {
    name: 'the parent declares the exec two lines lower: the same change, subtracted',
    input: { node: 'node1', commit: ok([real.reloadMoved()]), parents: [parent('p', ok([reload]))] },
    kind: 'unchanged',
    resources: [],
  },
  {
    name: 'merge: every parent is subtracted (the merge of feature/x adds nothing of its own)',
    input: {
      node: 'node1',
      commit: ok([motd, appConf, reload]),
      parents: [parent('main', ok([motd])), parent('feature', ok([appConf, reload]))],
    },
    kind: 'unchanged',
    resources: [],
  },
  {
    name: 'merge with a change of its own',
    input: {
      node: 'node1',
      commit: ok([motd, appConf, reload, vhost]),
      parents: [parent('main', ok([motd])), parent('feature', ok([appConf, reload]))],
    },
    kind: 'changes',
    resources: ['File[/data/webapp/vhost-main.conf]'],
  },
  {
    name: 'applied parent: standing drift (a permadiff) is not blamed on the commit',
    input: { node: 'node1', commit: ok([vhost, appConf]), parents: [parent('v1', ok([vhost]), true)] },
    kind: 'changes',
    resources: ['File[/data/webapp/app.conf]'],
  },
  {
    name: 'root commit: the whole noop',
    input: { node: 'node1', commit: ok([motd, appConf]), parents: [] },
    kind: 'changes',
    resources: ['File[/data/motd]', 'File[/data/webapp/app.conf]'],
  },
  {
    name: 'not in lineage: reported, no noops needed',
    input: { node: 'node3', notInLineage: true },
    kind: 'not_in_lineage',
    resources: [],
  },
  {
    name: 'commit unreachable',
    input: { node: 'node1', commit: { status: 'unreachable', error: 'connect timed out' }, parents: [] },
    kind: 'unreachable',
    resources: [],
  },
  {
    name: 'commit failed without a report',
    input: { node: 'node1', commit: { status: 'failed', error: 'puppet exited 127' }, parents: [] },
    kind: 'failed',
    resources: [],
  },
  {
    name: 'commit timed out',
    input: {
      node: 'node1',
      commit: { status: 'ok', report: report([], { outcome: 'timed_out', problem: 'stopped after 10m' }) },
      parents: [],
    },
    kind: 'failed',
    resources: [],
  },
  {
    name: 'a noop with a failed resource is still a delta (the failure is a change to review)',
    input: { node: 'node1', commit: { status: 'ok', report: fixtureReport('apply-failure') }, parents: [] },
    kind: 'changes',
    resources: [
      'Exec[after notes]',
      'Exec[reload webapp]',
      'File[/data/missing/dir/notes]',
      'File[/data/webapp/app.conf]',
      'File[/data/webapp/vhost-main.conf]',
    ],
  },
  {
    name: 'evaluation error in the commit (real compile error)',
    input: { node: 'node1', commit: { status: 'ok', report: broken }, parents: [parent('p', ok([motd]))] },
    kind: 'eval_error',
    resources: [],
  },
  {
    name: 'evaluation error in the parent: the fixing commit shows its whole delta, and says why',
    input: {
      node: 'node1',
      commit: ok([real.motdNode1()]),
      parents: [parent('broken', { status: 'ok', report: broken })],
    },
    kind: 'changes',
    resources: ['File[/data/motd]'],
    parentErrors: [
      {
        revision: 'broken',
        kind: 'eval_error',
        message: "Evaluation Error: Unknown function: 'motd_banner'.",
      },
    ],
  },
  {
    name: 'merge, one parent unreachable: the other is still subtracted',
    input: {
      node: 'node1',
      commit: ok([motd, appConf]),
      parents: [parent('a', ok([motd])), parent('b', { status: 'unreachable', error: 'no route to host' })],
    },
    kind: 'changes',
    resources: ['File[/data/webapp/app.conf]'],
    parentErrors: [{ revision: 'b', kind: 'unreachable', message: 'no route to host', applied: false }],
  },
  {
    name: 'applied parent timed out',
    input: {
      node: 'node1',
      commit: ok([motd]),
      parents: [parent('v1', { status: 'ok', report: report([], { outcome: 'timed_out' }) }, true)],
    },
    kind: 'changes',
    resources: ['File[/data/motd]'],
    parentErrors: [{ revision: 'v1', kind: 'failed', message: 'puppet timed out', applied: true }],
  },
];

describe('deltaForNode', () => {
  it.each(cases)('$name', ({ input, kind, resources, parentErrors = [] }) => {
    const delta = deltaForNode(input);
    expect(delta.node).toBe(input.node);
    expect(delta.kind).toBe(kind);
    expect(refs(delta)).toEqual(resources);
    expect(delta.parentErrors).toHaveLength(parentErrors.length);
    parentErrors.forEach((expected, i) => {
      expect(delta.parentErrors[i]).toMatchObject(expected);
    });
  });

  it('keeps the commit’s own evaluation errors, with file and line', () => {
    const delta = deltaForNode({ node: 'node1', commit: { status: 'ok', report: broken }, parents: [] });
    expect(delta.evalErrors).toEqual([
      {
        message: "Evaluation Error: Unknown function: 'motd_banner'.",
        file: 'modules/motd/manifests/init.pp',
        line: 6,
        column: 16,
      },
    ]);
  });

  it('a compile error without error text still counts as one', () => {
    const commit: NodeNoop = { status: 'ok', report: report([], { outcome: 'compile_error' }) };
    const delta = deltaForNode({ node: 'node1', commit, parents: [] });
    expect(delta).toMatchObject({
      kind: 'eval_error',
      evalErrors: [{ message: 'the catalog did not compile' }],
    });
  });

  it('says why a node gave no delta', () => {
    const delta = deltaForNode({
      node: 'n',
      commit: { status: 'unreachable', error: 'connect timed out' },
      parents: [],
    });
    expect(delta.error).toBe('connect timed out');
  });

  it('returns the commit’s own resource objects (grouping shows their file:line)', () => {
    const delta = deltaForNode({
      node: 'node1',
      commit: ok([motd, appConf]),
      parents: [parent('p', ok([motd]))],
    });
    expect(delta.resources[0]).toBe(appConf);
    expect(changeHash(delta.resources[0]!)).toBe(changeHash(real.appConf()));
  });

  it('notInLineage is the flag form', () => {
    expect(notInLineage('node3')).toEqual({
      node: 'node3',
      kind: 'not_in_lineage',
      resources: [],
      evalErrors: [],
      parentErrors: [],
    });
  });
});
