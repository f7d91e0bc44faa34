import type { ResourceChange } from '../puppet/types.js';
import { compareText, identityKey, sameChange } from './change-key.js';

/** The collecting structures of `groupDeltas`: nodes per key, and identical changes across nodes. */

/**
 * Where one group's change is declared on some of its nodes. Identity leaves file:line out (a moved
 * resource is not a new change), so identical changes declared in two modules share a group; each
 * declaration has its own owners, and an approval must cover all of them.
 */
export interface ChangeSource {
  file?: string;
  line?: number;
  /** Sorted naturally. */
  nodes: string[];
}

/** Collects nodes per key; deltas arrive sorted by node, so a node is pushed once per key. */
export class Buckets<T> {
  private readonly map = new Map<string, { value: T; nodes: string[] }>();
  add(key: string, node: string, value: () => T): void {
    const bucket = this.map.get(key);
    if (bucket === undefined) this.map.set(key, { value: value(), nodes: [node] });
    else if (bucket.nodes[bucket.nodes.length - 1] !== node) bucket.nodes.push(node);
  }
  /** Values with their nodes, by key: a stable order whatever order the deltas came in. */
  sorted(): (T & { nodes: string[] })[] {
    return [...this.map]
      .sort(([a], [b]) => compareText(a, b))
      .map(([, { value, nodes }]) => ({ ...value, nodes }));
  }
}

export interface Collected {
  resource: ResourceChange;
  nodes: string[];
  sources: Map<string, ChangeSource>;
  /** The source last added to: nearly every member comes from it, found without building a key. */
  last: ChangeSource;
}

/** Written out case by case: spreading conditional literals was a measurable part of grouping. */
const sourceOf = ({ file, line }: ResourceChange, node: string): ChangeSource => {
  const nodes = [node];
  if (file === undefined) return line === undefined ? { nodes } : { line, nodes };
  return line === undefined ? { file, nodes } : { file, line, nodes };
};

const sourceKey = (source: { file?: string; line?: number }) => `${source.file ?? ''}\0${source.line ?? ''}`;

const addSource = (entry: Collected, resource: ResourceChange, node: string) => {
  let source: ChangeSource | undefined = entry.last;
  if (source.file !== resource.file || source.line !== resource.line) {
    const key = sourceKey(resource);
    source = entry.sources.get(key);
    if (source === undefined) {
      entry.last = sourceOf(resource, node);
      entry.sources.set(key, entry.last);
      return;
    }
    entry.last = source;
  }
  if (source.nodes[source.nodes.length - 1] !== node) source.nodes.push(node);
};

/** A title seen with more different changes than this gets a keyed map instead of a scan. */
const SCAN_LIMIT = 8;

/**
 * Identical changes across nodes, found by title first: nearly every title has one change on the
 * whole fleet (or one per role), and `sameChange` settles it without building anything. A title
 * that differs per node (a file naming its host) outgrows the scan and switches to a map keyed
 * by `identityKey`, so 2,000 variants cost 2,000 lookups, not 2,000² comparisons.
 */
export class ChangeIndex {
  /** In first-seen order. */
  readonly collected: Collected[] = [];
  private readonly byTitle = new Map<string, Collected[] | Map<string, Collected>>();

  add(resource: ResourceChange, node: string): void {
    const found = this.byTitle.get(resource.title);
    let same: Collected | undefined;
    if (!Array.isArray(found)) same = found?.get(identityKey(resource));
    else
      for (const entry of found)
        if (sameChange(entry.resource, resource)) {
          same = entry;
          break;
        }
    if (same !== undefined) {
      if (same.nodes[same.nodes.length - 1] !== node) same.nodes.push(node);
      addSource(same, resource, node);
      return;
    }
    const first = sourceOf(resource, node);
    const entry: Collected = {
      resource,
      nodes: [node],
      sources: new Map([[sourceKey(first), first]]),
      last: first,
    };
    this.collected.push(entry);
    if (found === undefined) this.byTitle.set(resource.title, [entry]);
    else if (!Array.isArray(found)) found.set(identityKey(resource), entry);
    else if (found.push(entry) > SCAN_LIMIT) {
      this.byTitle.set(resource.title, new Map(found.map((each) => [identityKey(each.resource), each])));
    }
  }
}
