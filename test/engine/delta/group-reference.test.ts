import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalChange, changeHash, compareText, sha256 } from '../../../src/engine/delta/change-key.js';
import { groupDeltas, sourceFiles } from '../../../src/engine/delta/group.js';
import { compressHosts, expandHosts, naturalCompare } from '../../../src/engine/delta/hostlist.js';
import type { NodeDelta } from '../../../src/engine/delta/subtract.js';
import { hostNormalizer } from '../../../src/engine/permadiffs/normalize.js';
import type { ResourceChange } from '../../../src/engine/puppet/types.js';
import { change, delta } from './support.js';

/**
 * The fast paths of grouping (a member's source found without a key, one-source groups' files
 * taken as they are, one-shot hashing) and of host compression (lists not re-sorted when they
 * arrive in order) against straightforward reference computations, on a fleet shaped like the
 * digest benchmark's: fleet-wide changes, per-role ones, per-node ones, host-named ones
 * normalised into one group, and one change declared in two places.
 */

const nodeName = (i: number) => `web${String(i + 1).padStart(3, '0')}`;

const fileChange = (title: string, file: string, line: number, diff: string): ResourceChange =>
  change({
    type: 'File',
    title,
    file,
    line,
    events: [{ property: 'content', from: '{md5}aaa', to: '{md5}bbb' }],
    diff,
  });

const fleet = (nodes: number): NodeDelta[] =>
  Array.from({ length: nodes }, (_, i) => {
    const node = nodeName(i);
    const resources: ResourceChange[] = [
      change({
        type: 'Exec',
        title: 'refresh-cache',
        file: 'modules/app/manifests/init.pp',
        line: 3,
        refresh: true,
      }),
      // Declared in two modules: on odd nodes from another file and line (one group, two sources).
      fileChange(
        '/etc/app.conf',
        `modules/${i % 2 ? 'b' : 'a'}/manifests/init.pp`,
        7 + (i % 2),
        '-old\n+new\n',
      ),
      fileChange(
        '/etc/role.conf',
        'modules/role/manifests/init.pp',
        4,
        `-role ${i % 3} old\n+role ${i % 3}\n`,
      ),
      fileChange('/etc/motd', 'modules/motd/manifests/init.pp', 1, `-old ${node}\n+welcome to ${node}\n`),
      fileChange('/var/lib/seed', 'modules/local/manifests/init.pp', 2, `-seed ${i * 7}\n+seed 0\n`),
    ];
    return delta(node, resources.map(hostNormalizer({ name: node, certname: `${node}.example.com` })));
  }).reverse(); // Arriving out of order: grouping sorts them.

/** Grouping as the design states it, without any shortcut. */
const reference = (deltas: readonly NodeDelta[]) => {
  const byHash = new Map<
    string,
    { resource: ResourceChange; nodes: Set<string>; sources: Map<string, Set<string>> }
  >();
  const sorted = [...deltas].sort((a, b) => naturalCompare(a.node, b.node));
  for (const { node, resources } of sorted)
    for (const resource of resources) {
      const hash = createHash('sha256').update(canonicalChange(resource)).digest('hex');
      const group = byHash.get(hash) ?? { resource, nodes: new Set(), sources: new Map() };
      byHash.set(hash, group);
      group.nodes.add(node);
      const at = JSON.stringify([resource.file ?? '', resource.line ?? null]);
      group.sources.set(at, (group.sources.get(at) ?? new Set()).add(node));
    }
  const groups = [...byHash].map(([hash, { resource, nodes, sources }]) => ({
    hash,
    resource,
    nodes: [...nodes].sort(naturalCompare),
    sources: [...sources]
      .map(([at, on]) => {
        const [file, line] = JSON.parse(at) as [string, number | null];
        return { file, line, nodes: [...on].sort(naturalCompare) };
      })
      .sort((a, b) => compareText(a.file, b.file) || (a.line ?? 0) - (b.line ?? 0)),
  }));
  groups.sort(
    (a, b) =>
      compareText(`${a.resource.type}[${a.resource.title}]`, `${b.resource.type}[${b.resource.title}]`) ||
      compareText(a.hash, b.hash),
  );
  const files = (group: (typeof groups)[number]) => {
    const byFile = new Map<string, Set<string>>();
    for (const source of group.sources)
      for (const node of source.nodes)
        byFile.set(source.file, (byFile.get(source.file) ?? new Set()).add(node));
    return [...byFile]
      .sort(([a], [b]) => compareText(a, b))
      .map(([file, nodes]) => [file, [...nodes].sort(naturalCompare)]);
  };
  const deltaHash = createHash('sha256')
    .update(
      JSON.stringify({
        changes: groups
          .map((group) => [group.hash, group.nodes, files(group)])
          .sort((a, b) => compareText(a[0] as string, b[0] as string)),
        evalErrors: [],
      }),
    )
    .digest('hex');
  return { groups, files, deltaHash };
};

describe('grouping and host lists against plain reference computations', () => {
  const deltas = fleet(40);
  const grouped = groupDeltas(deltas, { ignored: [] });
  const expected = reference(deltas);

  it('the same groups: hash, first member, nodes and sources', () => {
    expect(grouped.groups.map((g) => g.hash)).toEqual(expected.groups.map((g) => g.hash));
    grouped.groups.forEach((group, k) => {
      const want = expected.groups[k];
      expect(group.resource).toBe(want?.resource);
      expect(group.hash).toBe(changeHash(group.resource));
      expect(group.nodes).toEqual(want?.nodes);
      expect(group.sources.map((s) => [s.file, s.line ?? null, s.nodes])).toEqual(
        want?.sources.map((s) => [s.file, s.line, s.nodes]),
      );
    });
    // Shared 2 + roles 3 + motd normalised 1 + per-node seeds 40.
    expect(grouped.groups).toHaveLength(46);
    const twoSources = grouped.groups.find((g) => g.resource.title === '/etc/app.conf');
    expect(twoSources?.sources.map((s) => s.nodes.length)).toEqual([20, 20]);
  });

  it('the same files per group and the same deltaHash', () => {
    grouped.groups.forEach((group, k) => {
      const want = expected.groups[k];
      if (want) expect(sourceFiles(group)).toEqual(expected.files(want));
    });
    expect(grouped.deltaHash).toBe(expected.deltaHash);
  });

  it('sha256 is the hex digest Hash objects give (stored hashes do not move)', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const text = 'Ünïcödé → {{node}}\n';
    expect(sha256(text)).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('compressHosts gives the same for sorted input, shuffled input and input with repeats', () => {
    const lists = [
      Array.from({ length: 300 }, (_, i) => nodeName(i)).filter((_, i) => i % 7 !== 3),
      ['db1', 'web1.dc1', 'web2.dc1', 'web3.dc1', 'web2.dc2', 'web9', 'web10', 'web11', 'x'],
      ['n08', 'n09', 'n10', 'n11', 'n2'],
    ];
    for (const names of lists) {
      const sorted = [...names].sort(naturalCompare);
      const shuffled = [...sorted].reverse().concat(sorted.slice(0, 3));
      expect(compressHosts(shuffled)).toEqual(compressHosts(sorted));
      expect(expandHosts(compressHosts(sorted)).sort(naturalCompare)).toEqual(sorted);
    }
  });
});
