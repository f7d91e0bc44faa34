import { type GroupedDelta, groupDeltas, type IgnoreRule } from '../../engine/delta/group.js';
import type { NodeDelta } from '../../engine/delta/subtract.js';
import { slices, type Task } from './protocol.js';

/** Groups per message on the way back: a few hundred clone in well under a millisecond. */
export const GROUPS_PER_PART = 250;

export type GroupedRest = Omit<GroupedDelta, 'groups'>;

/** The tasks a worker runs, by name: pure functions of what was sent. */
export const tasks: Record<string, Task> = {
  groupDeltas: (parts, args) => {
    const deltas = (parts as NodeDelta[][]).flat();
    const { groups, ...rest } = groupDeltas(deltas, args as { ignored: readonly IgnoreRule[] });
    return { parts: slices(groups, GROUPS_PER_PART), value: rest satisfies GroupedRest };
  },
};
