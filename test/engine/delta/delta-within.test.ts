import { describe, expect, it } from 'vitest';
import { deltaWithin, type GroupedDelta } from '../../../src/engine/delta/index.js';

const grouped = (groups: [string, string[], boolean?][], errors: [string, string[]][] = []): GroupedDelta =>
  ({
    groups: groups.map(([hash, nodes, ignored]) => ({
      hash,
      nodes,
      sources: [{ file: 'modules/m/manifests/init.pp', line: 1, nodes }],
      refresh: false,
      resource: {} as never,
      ...(ignored ? { ignored: { type: 'File', purpose: 'p', rationale: 'r' } } : {}),
    })),
    evalErrorGroups: errors.map(([message, nodes]) => ({ message, nodes })),
    parentErrorGroups: [],
    failures: [],
    notInLineage: [],
    counts: { changed: 0, unchanged: 0, failed: 0, unreachable: 0, notInLineage: 0, evalError: 0 },
    deltaHash: 'x',
  }) as GroupedDelta;

const approved = grouped(
  [
    ['a', ['n1', 'n2', 'n3']],
    ['b', ['n2']],
  ],
  [['boom', ['n1', 'n2']]],
);

describe('deltaWithin: an approval carries over only when nothing new appears', () => {
  it.each<[string, GroupedDelta, boolean]>([
    ['the same delta', approved, true],
    [
      'fewer nodes in a group (canaries applied)',
      grouped(
        [
          ['a', ['n2', 'n3']],
          ['b', ['n2']],
        ],
        [['boom', ['n1']]],
      ),
      true,
    ],
    ['a group gone entirely', grouped([['a', ['n3']]]), true],
    ['nothing left', grouped([]), true],
    [
      'a new ignored group',
      grouped([
        ['a', ['n3']],
        ['noise', ['n1'], true],
      ]),
      true,
    ],
    ['a node added to a group', grouped([['a', ['n1', 'n2', 'n3', 'n4']]]), false],
    [
      'a new group',
      grouped([
        ['a', ['n1']],
        ['c', ['n1']],
      ]),
      false,
    ],
    ['the same title with another diff (another hash)', grouped([['a2', ['n1']]]), false],
    ['a new evaluation error', grouped([], [['other', ['n1']]]), false],
    ['an evaluation error on a new node', grouped([], [['boom', ['n3']]]), false],
  ])('%s → %s', (_name, current, expected) => {
    expect(deltaWithin(current, approved)).toBe(expected);
  });
});
