import { describe, expect, it } from 'vitest';
import { changeHash } from '../../../src/engine/delta/change-key.js';
import { type GroupedDelta, groupDeltas, type IgnoreRule } from '../../../src/engine/delta/group.js';
import type { NodeDelta } from '../../../src/engine/delta/subtract.js';
import type { ResourceChange } from '../../../src/engine/puppet/types.js';
import { cache, cacheRule, change, delta, real } from './support.js';

const none = { ignored: [] };
const summary = (grouped: GroupedDelta) =>
  grouped.groups.map(
    (g) => `${g.resource.type}[${g.resource.title}] ${g.nodes.join(',')}${g.ignored ? ' (ignored)' : ''}`,
  );

describe('groupDeltas', () => {
  const cases: { name: string; deltas: NodeDelta[]; ignored?: IgnoreRule[]; groups: string[] }[] = [
    {
      name: 'the same change on many nodes is one group, nodes in natural order',
      deltas: ['web10', 'web2', 'web1'].map((node) => delta(node, [real.appConf()])),
      groups: ['File[/data/webapp/app.conf] web1,web2,web10'],
    },
    {
      name: 'same title, different diffs (real v2 motd per node): two groups',
      deltas: [delta('node1', [real.motdNode1()]), delta('node2', [real.motdNode2()])],
      groups: ['File[/data/motd] node1', 'File[/data/motd] node2'],
    },
    {
      name: 'event order does not split a group',
      deltas: [
        delta('a', [
          change({
            type: 'User',
            title: 'x',
            events: [
              { property: 'shell', from: 'a', to: 'b' },
              { property: 'uid', from: '1', to: '2' },
            ],
          }),
        ]),
        delta('b', [
          change({
            type: 'User',
            title: 'x',
            events: [
              { property: 'uid', from: '1', to: '2' },
              { property: 'shell', from: 'a', to: 'b' },
            ],
          }),
        ]),
      ],
      groups: ['User[x] a,b'],
    },
    {
      name: 'declared on another line on another node: still one group',
      deltas: [delta('node2', [real.reloadMoved()]), delta('node1', [real.reload()])],
      groups: ['Exec[reload webapp] node1,node2'],
    },
    {
      name: 'groups by Type[title]; ignored ones last',
      deltas: [delta('n1', [cache, real.motd(), real.appConf()]), delta('n2', [real.appConf()])],
      ignored: [cacheRule],
      groups: [
        'File[/data/motd] n1',
        'File[/data/webapp/app.conf] n1,n2',
        'File[/var/cache/app/index] n1 (ignored)',
      ],
    },
  ];
  it.each(cases)('$name', ({ deltas, ignored = [], groups }) => {
    expect(summary(groupDeltas(deltas, { ignored }))).toEqual(groups);
  });

  it('each group carries its hash, the refresh flag, and the naturally first node’s resource', () => {
    const grouped = groupDeltas(
      [delta('node2', [real.reloadMoved()]), delta('node1', [real.reload()])],
      none,
    );
    const [group] = grouped.groups;
    expect(group?.hash).toBe(changeHash(real.reload()));
    expect(group?.refresh).toBe(true);
    expect(group?.resource.line).toBe(12);
  });

  it('counts nodes by the kind of their delta', () => {
    const grouped = groupDeltas(
      [
        delta('a', [real.motd()]),
        delta('b', []),
        delta('c', [], { kind: 'failed', error: 'puppet exited 127' }),
        delta('d', [], { kind: 'unreachable', error: 'timed out' }),
        delta('e', [], { kind: 'unreachable', error: 'timed out' }),
        delta('f', [], { kind: 'not_in_lineage' }),
        delta('g', [], { kind: 'eval_error', evalErrors: [{ message: 'boom' }] }),
      ],
      none,
    );
    expect(grouped.counts).toEqual({
      changed: 1,
      unchanged: 1,
      failed: 1,
      unreachable: 2,
      notInLineage: 1,
      evalError: 1,
    });
    expect(grouped.failures).toEqual([
      { kind: 'failed', error: 'puppet exited 127', nodes: ['c'] },
      { kind: 'unreachable', error: 'timed out', nodes: ['d', 'e'] },
    ]);
    expect(grouped.notInLineage).toEqual(['f']);
  });

  it('groups evaluation errors by message, file and line across nodes', () => {
    const error = {
      message: "Unknown function: 'motd_banner'.",
      file: 'modules/motd/manifests/init.pp',
      line: 6,
    };
    const grouped = groupDeltas(
      [
        delta('node3', [], { kind: 'eval_error', evalErrors: [{ message: 'fail() on node3' }] }),
        delta('node2', [], { kind: 'eval_error', evalErrors: [{ ...error, column: 16 }] }),
        delta('node1', [], { kind: 'eval_error', evalErrors: [error] }),
      ],
      none,
    );
    expect(grouped.evalErrorGroups).toEqual([
      { ...error, nodes: ['node1', 'node2'] },
      { message: 'fail() on node3', nodes: ['node3'] },
    ]);
  });

  it('groups parents that gave nothing to subtract', () => {
    const parentError = {
      revision: 'abc',
      applied: false,
      kind: 'eval_error' as const,
      message: 'boom',
      evalErrors: [],
    };
    const grouped = groupDeltas(
      [
        delta('b', [real.motd()], { parentErrors: [parentError] }),
        delta('a', [real.motd()], { parentErrors: [parentError] }),
      ],
      none,
    );
    expect(grouped.parentErrorGroups).toEqual([
      { revision: 'abc', applied: false, kind: 'eval_error', message: 'boom', nodes: ['a', 'b'] },
    ]);
  });
});

describe('ignore rules', () => {
  const rules: [string, IgnoreRule, ResourceChange, boolean][] = [
    [
      'title',
      { type: 'File', title: '/etc/motd', purpose: 'p', rationale: 'r' },
      change({ type: 'File', title: '/etc/motd' }),
      true,
    ],
    [
      'title, other resource',
      { type: 'File', title: '/etc/motd', purpose: 'p', rationale: 'r' },
      change({ type: 'File', title: '/etc/motd2' }),
      false,
    ],
    ['pattern searched, as written', cacheRule, cache, true],
    ['pattern anchored by the author', cacheRule, change({ type: 'File', title: '/srv/var/cache/x' }), false],
    ['pattern, another type', cacheRule, change({ type: 'Exec', title: '/var/cache/x' }), false],
    [
      'type only: every title',
      { type: 'Notify', purpose: 'p', rationale: 'r' },
      change({ type: 'Notify', title: 'hello' }),
      true,
    ],
    [
      'type names are case-insensitive',
      { type: 'file', title: '/etc/motd', purpose: 'p', rationale: 'r' },
      change({ type: 'File', title: '/etc/motd' }),
      true,
    ],
  ];
  it.each(rules)('%s', (_, rule, resource, ignored) => {
    const [group] = groupDeltas([delta('n', [resource])], { ignored: [rule] }).groups;
    expect(group?.ignored).toEqual(ignored ? rule : undefined);
  });

  it('the first matching rule is the one shown', () => {
    const second: IgnoreRule = { type: 'File', purpose: 'all files', rationale: 'x' };
    const [group] = groupDeltas([delta('n', [cache])], { ignored: [cacheRule, second] }).groups;
    expect(group?.ignored).toBe(cacheRule);
  });

  it('an invalid pattern is a configuration error', () => {
    expect(() =>
      groupDeltas([], { ignored: [{ type: 'File', titlePattern: '(', purpose: 'p', rationale: 'r' }] }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
