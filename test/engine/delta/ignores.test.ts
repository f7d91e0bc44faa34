import { describe, expect, it } from 'vitest';
import { deltaWithin } from '../../../src/engine/delta/approval.js';
import {
  type GroupedDelta,
  groupDeltas,
  groupsNeedingApproval,
  type IgnoreRule,
} from '../../../src/engine/delta/group.js';
import {
  ignoresHash,
  NO_IGNORES,
  parseResource,
  ruleOf,
  type StoredIgnore,
} from '../../../src/engine/delta/ignores.js';
import type { NodeDelta } from '../../../src/engine/delta/subtract.js';
import { cacheRule, delta, real } from './support.js';

/** `Type[title] nodes` plus who ignores it, one line per group in the grouping's order. */
const summary = (grouped: GroupedDelta) =>
  grouped.groups.map(
    (g) =>
      `${g.resource.type}[${g.resource.title}] ${g.nodes.join(',')}${g.ignored ? ` (ignored: ${g.ignored.id ?? g.ignored.purpose})` : ''}`,
  );

const stored = (
  fields: Partial<StoredIgnore> & Pick<StoredIgnore, 'id' | 'type' | 'title'>,
): StoredIgnore => ({
  reason: 'noise',
  by: 'U0ADMIN',
  at: 0,
  expiresAt: 1,
  ...fields,
});

const motd = (node: string) => delta(node, [real.motd()]);
const three = ['n1', 'n2', 'n3'].map(motd);

describe('node-scoped ignores in the grouping', () => {
  const cases: { name: string; deltas: NodeDelta[]; ignored: IgnoreRule[]; groups: string[] }[] = [
    {
      name: 'no rule: one group needing approval',
      deltas: three,
      ignored: [],
      groups: ['File[/data/motd] n1,n2,n3'],
    },
    {
      name: 'an ignore on every node: the whole group is ignored',
      deltas: three,
      ignored: [ruleOf(stored({ id: 'aaaaaa', type: 'File', title: '/data/motd' }))],
      groups: ['File[/data/motd] n1,n2,n3 (ignored: aaaaaa)'],
    },
    {
      name: 'an ignore on some nodes splits the group: the rest still needs approval',
      deltas: three,
      ignored: [ruleOf(stored({ id: 'aaaaaa', type: 'File', title: '/data/motd', nodes: ['n2'] }))],
      groups: ['File[/data/motd] n1,n3', 'File[/data/motd] n2 (ignored: aaaaaa)'],
    },
    {
      name: 'type case does not matter, the title must be exact',
      deltas: three,
      ignored: [
        ruleOf(stored({ id: 'aaaaaa', type: 'file', title: '/data/motd', nodes: ['n1'] })),
        ruleOf(stored({ id: 'bbbbbb', type: 'File', title: '/data/MOTD' })),
      ],
      groups: ['File[/data/motd] n2,n3', 'File[/data/motd] n1 (ignored: aaaaaa)'],
    },
    {
      name: 'two scoped ignores of one change: two ignored groups, ordered by their first node',
      deltas: three,
      ignored: [
        ruleOf(stored({ id: 'bbbbbb', type: 'File', title: '/data/motd', nodes: ['n3'] })),
        ruleOf(stored({ id: 'aaaaaa', type: 'File', title: '/data/motd', nodes: ['n1', 'n2'] })),
      ],
      groups: ['File[/data/motd] n1,n2 (ignored: aaaaaa)', 'File[/data/motd] n3 (ignored: bbbbbb)'],
    },
    {
      name: 'the first rule that applies on a node wins: config rules come first',
      deltas: three,
      ignored: [
        { type: 'File', title: '/data/motd', purpose: 'config', rationale: 'in code' },
        ruleOf(stored({ id: 'aaaaaa', type: 'File', title: '/data/motd', nodes: ['n1'] })),
      ],
      groups: ['File[/data/motd] n1,n2,n3 (ignored: config)'],
    },
    {
      name: 'a scoped ignore of one type leaves other types to the unscoped rules',
      deltas: [delta('n1', [real.motd(), real.reload()]), delta('n2', [real.reload()])],
      ignored: [
        cacheRule,
        { type: 'Exec', title: 'reload webapp', purpose: 'reloads', rationale: 'harmless' },
        ruleOf(stored({ id: 'aaaaaa', type: 'File', title: '/data/motd', nodes: ['n1'] })),
      ],
      groups: ['Exec[reload webapp] n1,n2 (ignored: reloads)', 'File[/data/motd] n1 (ignored: aaaaaa)'],
    },
    {
      name: 'a scope naming no node that changed: nothing is ignored',
      deltas: three,
      ignored: [ruleOf(stored({ id: 'aaaaaa', type: 'File', title: '/data/motd', nodes: ['n9'] }))],
      groups: ['File[/data/motd] n1,n2,n3'],
    },
  ];
  it.each(cases)('$name', ({ deltas, ignored, groups }) => {
    expect(summary(groupDeltas(deltas, { ignored }))).toEqual(groups);
  });

  it('the rule on a group does not carry the node list into every review', () => {
    const rule = ruleOf(stored({ id: 'aaaaaa', type: 'File', title: '/data/motd', nodes: ['n2'] }));
    const ignored = groupDeltas(three, { ignored: [rule] }).groups.find((g) => g.ignored)?.ignored;
    expect(ignored).toEqual({
      id: 'aaaaaa',
      type: 'File',
      title: '/data/motd',
      purpose: 'noise',
      rationale: 'ignored from chat by U0ADMIN',
    });
  });

  it('an ignore only shrinks a delta: an approval of the whole carries over', () => {
    const before = groupDeltas(three, { ignored: [] });
    const rule = ruleOf(stored({ id: 'aaaaaa', type: 'File', title: '/data/motd', nodes: ['n2'] }));
    const after = groupDeltas(three, { ignored: [rule] });
    expect(after.deltaHash).not.toBe(before.deltaHash);
    expect(groupsNeedingApproval(after).map((g) => g.nodes)).toEqual([['n1', 'n3']]);
    expect(deltaWithin(after, before)).toBe(true);
    // Removing it grows the delta again: an approval given while it was ignored does not cover it.
    expect(deltaWithin(before, after)).toBe(false);
  });
});

describe('TYPE[TITLE]', () => {
  it.each([
    ['File[/etc/motd]', { type: 'File', title: '/etc/motd' }],
    ['Webapp::Vhost[shop]', { type: 'Webapp::Vhost', title: 'shop' }],
    ['Exec[apt-get update]', { type: 'Exec', title: 'apt-get update' }],
    ['exec[a[b]]', { type: 'exec', title: 'a[b]' }],
    ['File[]', undefined],
    ['File/etc/motd', undefined],
    ['File[/etc/motd', undefined],
    ['::File[x]', undefined],
    ['Webapp:Vhost[x]', undefined],
    ['1File[x]', undefined],
    [`File[${'x'.repeat(501)}]`, undefined],
    ['File[a\nb]', undefined],
  ])('%s', (text, parsed) => {
    expect(parseResource(text)).toEqual(parsed);
  });
});

describe('ignoresHash', () => {
  const a = stored({ id: 'aaaaaa', type: 'File', title: '/x' });
  const b = stored({ id: 'bbbbbb', type: 'Exec', title: 'y', nodes: ['n1'] });
  it('is the old records’ value for no ignores, and ignores order', () => {
    expect(ignoresHash([])).toBe(NO_IGNORES);
    expect(ignoresHash([a, b])).toBe(ignoresHash([b, a]));
    expect(ignoresHash([a])).not.toBe(ignoresHash([a, b]));
  });
  it('changes with what decides grouping, not with the reason', () => {
    expect(ignoresHash([{ ...a, reason: 'other words' }])).toBe(ignoresHash([a]));
    expect(ignoresHash([{ ...b, nodes: ['n2'] }])).not.toBe(ignoresHash([b]));
  });
});
