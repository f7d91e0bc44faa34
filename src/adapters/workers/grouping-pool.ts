import type { StoredChange } from '../../engine/changes/hash.js';
import type { ChangeGroup, GroupedDelta, IgnoreRule } from '../../engine/delta/group.js';
import type { HashedDelta, HashedDeltaInput } from '../../engine/delta/hashed.js';
import type { NodeDelta } from '../../engine/delta/subtract.js';
import type { Logger } from '../../engine/ports/logger.js';
import type { Offload } from '../../engine/ports/offload.js';
import { WorkerPool } from './pool.js';
import { slices } from './protocol.js';
import type { GroupedRest, HashedPart } from './tasks.js';

/** Nodes' deltas per message to a worker: each clones in about a millisecond on the bot's thread. */
export const NODES_PER_PART = 20;
/** Change bodies per message: each a few hundred bytes of text. */
export const BODIES_PER_PART = 500;

export interface GroupingPool extends Offload {
  close(): Promise<void>;
}

/**
 * The Offload port over worker threads: `groupDeltas`, `groupHashed` and `hashedDeltas` run in a worker, input and result
 * cloned in small parts so the bot's event loop answers Slack between them.
 */
export const createGroupingPool = (options: {
  size?: number;
  logger: Logger;
  entry?: URL;
  resourceLimits?: { maxOldGenerationSizeMb?: number };
  /** When the bot's thread may take a next step (see WorkerPoolOptions.later). */
  later?: (next: () => void) => void;
}): GroupingPool => {
  const pool = new WorkerPool({ size: options.size ?? 1, ...options });
  return {
    turn: pool.turn,
    async hashedDeltas(inputs: readonly HashedDeltaInput[]) {
      // A node's records are a few long strings: cheap to clone, unlike the sets made from them.
      const { parts } = await pool.run('hashedDeltas', slices(inputs, NODES_PER_PART), null);
      return (parts as HashedDelta[][]).flat();
    },
    async groupDeltas(deltas: readonly NodeDelta[], args: { ignored: readonly IgnoreRule[] }) {
      const { parts, value } = await pool.run('groupDeltas', slices(deltas, NODES_PER_PART), {
        ignored: args.ignored,
      });
      return { groups: (parts as ChangeGroup[][]).flat(), ...(value as GroupedRest) } satisfies GroupedDelta;
    },
    async groupHashed(
      deltas: readonly HashedDelta[],
      bodies: ReadonlyMap<string, StoredChange>,
      args: { ignored: readonly IgnoreRule[] },
    ) {
      const parts: HashedPart[] = [
        ...slices(deltas, NODES_PER_PART).map((some) => ({ deltas: some })),
        ...slices([...bodies], BODIES_PER_PART).map((some) => ({ bodies: some })),
      ];
      const { parts: back, value } = await pool.run('groupHashed', parts, { ignored: args.ignored });
      return { groups: (back as ChangeGroup[][]).flat(), ...(value as GroupedRest) } satisfies GroupedDelta;
    },
    close: () => pool.close(),
  };
};
