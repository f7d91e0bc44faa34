import { errorText } from '../errors.js';
import type { NodeLock, NodeLocks } from '../locks/node-locks.js';
import type { CodeRepo, NodeSpec } from '../ports/index.js';
import type { AppliedState } from '../runs/applied-state.js';
import type { FleetService, LastNoop } from '../runs/fleet-service.js';

/** One node as `/heckler status` shows it. */
export interface NodeStatusLine {
  node: string;
  /** What it runs, read from the node itself; undefined when Heckler never applied it. */
  applied?: AppliedState & { names: string[] };
  /** Its applied state could not be read: why, as literal text. */
  unreadable?: string;
  lock?: NodeLock;
  lastNoop?: LastNoop;
}

export interface FleetStatus {
  nodes: NodeStatusLine[];
}

/** Per node: the applied revision with its tags and branches, when, clean or dirty, lock, last noop. */
export const fleetStatus = async (
  deps: { fleet: FleetService; repo: Pick<CodeRepo, 'namesAt'>; nodeLocks: Pick<NodeLocks, 'list'> },
  nodes: readonly NodeSpec[],
): Promise<FleetStatus> => {
  const [outcomes, locks] = await Promise.all([deps.fleet.applied(nodes), deps.nodeLocks.list()]);
  const byNode = new Map(locks.map((lock) => [lock.node, lock]));
  const names = new Map<string, string[]>();
  const namesOf = async (sha: string) => {
    let found = names.get(sha);
    if (!found) {
      // A revision the mirror lacks (applied from elsewhere) simply has no names.
      const at = await deps.repo.namesAt(sha).catch(() => ({ tags: [], branches: [] }));
      found = [...at.tags, ...at.branches];
      names.set(sha, found);
    }
    return found;
  };
  const lines: NodeStatusLine[] = [];
  for (const outcome of outcomes) {
    const line: NodeStatusLine = { node: outcome.node };
    if (!outcome.ok) line.unreadable = errorText(outcome.error);
    else if (!outcome.value.ok) line.unreadable = outcome.value.error;
    else if (outcome.value.state)
      line.applied = { ...outcome.value.state, names: await namesOf(outcome.value.state.revision) };
    const lock = byNode.get(outcome.node);
    if (lock) line.lock = lock;
    const noop = await deps.fleet.lastNoop(outcome.node).catch(() => undefined);
    if (noop) line.lastNoop = noop;
    lines.push(line);
  }
  return { nodes: lines };
};
