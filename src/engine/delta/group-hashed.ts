import type { StoredChange } from '../changes/hash.js';
import type { Where } from '../changes/record.js';
import { HecklerError } from '../errors.js';
import type { ResourceChange } from '../puppet/types.js';
import { type ChangeGroup, finishGroups, type GroupedDelta, type IgnoreRule, sortSources } from './group.js';
import type { ChangeSource } from './group-index.js';
import { compileRules } from './group-rules.js';
import { Tally } from './group-tally.js';
import type { HashedDelta } from './hashed.js';
import { naturalCompare } from './hostlist.js';

/**
 * `groupDeltas` over keys (DESIGN.md §3.4): identical changes are equal keys, so a group is a map
 * entry and nothing is compared or hashed per node; a body is read once per group. The result is
 * the same `GroupedDelta` as `groupDeltas` of the same changes (a test holds the two together):
 * the member of the naturally first node is the one shown, every file:line is a source.
 */

interface Entry {
  key: string;
  partition: string;
  body: StoredChange;
  first: Where;
  nodes: string[];
  /** The group's first source: nearly every group has no other (its nodes then filled in at the end). */
  only: ChangeSource;
  /** Every source by file:line, made when a second one turns up. */
  sources: Map<string, ChangeSource> | undefined;
  last: ChangeSource;
  lastFile: string | undefined;
  lastLine: number | undefined;
}

const sourceOf = ({ file, line }: Where, node: string): ChangeSource => {
  const nodes = [node];
  if (file === undefined) return line === undefined ? { nodes } : { line, nodes };
  return line === undefined ? { file, nodes } : { file, line, nodes };
};

const sourceKey = (where: Pick<Where, 'file' | 'line'>) => `${where.file ?? ''}\0${where.line ?? ''}`;

/**
 * Adds the node to the source its change comes from on it; call before adding the node to the
 * entry. While a group has one source, that source's nodes are the group's (copied at the end),
 * so nothing is pushed twice per node.
 */
const addSource = (entry: Entry, where: Where, node: string) => {
  if (where.file === entry.lastFile && where.line === entry.lastLine) {
    if (entry.sources === undefined) return;
  } else {
    if (entry.sources === undefined) {
      // A second source: the first one's nodes are every node seen so far.
      entry.only.nodes = [...entry.nodes];
      entry.sources = new Map([[sourceKey(entry.only), entry.only]]);
    }
    const key = sourceKey(where);
    const found = entry.sources.get(key);
    entry.lastFile = where.file;
    entry.lastLine = where.line;
    if (found === undefined) {
      entry.last = sourceOf(where, node);
      entry.sources.set(key, entry.last);
      return;
    }
    entry.last = found;
  }
  const { nodes } = entry.last;
  if (nodes[nodes.length - 1] !== node) nodes.push(node);
};

/**
 * The body with the first node's file:line. `Object.assign` rather than a spread: V8 (Node 20)
 * copies a spread with added fields tens of times slower, and a fleet has ten thousand groups.
 */
const resourceOf = (body: StoredChange, { file, line }: Where): ResourceChange => {
  const resource: ResourceChange = Object.assign({}, body.change);
  if (file !== undefined) resource.file = file;
  if (line !== undefined) resource.line = line;
  return resource;
};

/** The deltas naturally ordered by node (so every node list comes out sorted); copied only to sort. */
const byNode = (deltas: readonly HashedDelta[]): readonly HashedDelta[] => {
  for (let i = 1; i < deltas.length; i++)
    if (naturalCompare((deltas[i - 1] as HashedDelta).node, (deltas[i] as HashedDelta).node) > 0)
      return [...deltas].sort((a, b) => naturalCompare(a.node, b.node));
  return deltas;
};

/**
 * Groups hashed deltas. `bodies` must hold every key the deltas name (`keysNamed`); a key without
 * a body is a store that lost it, refused rather than shown as an empty change.
 */
export const groupHashed = (
  deltas: readonly HashedDelta[],
  bodies: ReadonlyMap<string, StoredChange>,
  options: { ignored: readonly IgnoreRule[] },
): GroupedDelta => {
  const rules = compileRules(options.ignored);
  // Without node-scoped rules every change is in partition '': its key alone finds its group, and
  // its body is read once, when the group is made, not once per node.
  const partitioned = options.ignored.some((rule) => rule.nodes !== undefined);
  const tally = new Tally();
  const entries = new Map<string, Entry>();
  for (const delta of byNode(deltas)) {
    const { node, keys, where } = delta;
    tally.add(delta);
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k] as string;
      const at = where[k] ?? {};
      const known = partitioned ? undefined : entries.get(key);
      if (known !== undefined) {
        addSource(known, at, node);
        if (known.nodes[known.nodes.length - 1] !== node) known.nodes.push(node);
        continue;
      }
      const body = bodies.get(key);
      if (body === undefined)
        throw new HecklerError('STORE_UNAVAILABLE', `the change store has no body for change ${key}`, {
          hint: 'the noops naming it are recomputed: run the noop again',
        });
      const partition = partitioned ? rules.partitionOf(body.change, node) : '';
      const id = partition === '' ? key : `${partition}\0${key}`;
      const entry = partitioned ? entries.get(id) : undefined;
      if (entry === undefined) {
        const first = sourceOf(at, node);
        entries.set(id, {
          key,
          partition,
          body,
          first: at,
          nodes: [node],
          only: first,
          sources: undefined,
          last: first,
          lastFile: at.file,
          lastLine: at.line,
        });
        continue;
      }
      addSource(entry, at, node);
      if (entry.nodes[entry.nodes.length - 1] !== node) entry.nodes.push(node);
    }
  }
  const groups: ChangeGroup[] = [];
  for (const entry of entries.values()) {
    const resource = resourceOf(entry.body, entry.first);
    const ignored = rules.ignoredBy(entry.partition, resource);
    const hash = entry.body.hash;
    const { nodes } = entry;
    if (entry.sources === undefined) entry.only.nodes = [...nodes];
    const sources = entry.sources === undefined ? [entry.only] : sortSources(entry.sources.values());
    const { refresh } = resource;
    // Two literals rather than a spread of `ignored`: one group per distinct change in the fleet.
    groups.push(
      ignored
        ? { hash, resource, nodes, sources, refresh, ignored }
        : { hash, resource, nodes, sources, refresh },
    );
  }
  return finishGroups(groups, tally);
};
