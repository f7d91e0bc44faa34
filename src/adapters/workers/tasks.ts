import type { StoredChange } from '../../engine/changes/hash.js';
import { type GroupedDelta, groupDeltas, type IgnoreRule } from '../../engine/delta/group.js';
import { groupHashed } from '../../engine/delta/group-hashed.js';
import { type HashedDelta, type HashedDeltaInput, hashedDeltaForNode } from '../../engine/delta/hashed.js';
import type { NodeDelta } from '../../engine/delta/subtract.js';
import { slices, type Task } from './protocol.js';

/** Groups per message on the way back: a few hundred clone in well under a millisecond. */
export const GROUPS_PER_PART = 250;

export type GroupedRest = Omit<GroupedDelta, 'groups'>;

/** A part of a `groupHashed` job: some nodes' deltas, or some of the bodies their keys name. */
export type HashedPart = { deltas: HashedDelta[] } | { bodies: [string, StoredChange][] };

const grouped = ({ groups, ...rest }: GroupedDelta) => ({
  parts: slices(groups, GROUPS_PER_PART),
  value: rest satisfies GroupedRest,
});

/** The tasks a worker runs, by name: pure functions of what was sent. */
export const tasks: Record<string, Task> = {
  hashedDeltas: (parts) => ({
    parts: (parts as HashedDeltaInput[][]).map((inputs) => inputs.map(hashedDeltaForNode)),
    value: null,
  }),
  groupDeltas: (parts, args) => {
    const deltas = (parts as NodeDelta[][]).flat();
    return grouped(groupDeltas(deltas, args as { ignored: readonly IgnoreRule[] }));
  },
  groupHashed: (parts, args) => {
    const deltas: HashedDelta[] = [];
    const bodies = new Map<string, StoredChange>();
    for (const part of parts as HashedPart[]) {
      if ('deltas' in part) deltas.push(...part.deltas);
      else for (const [key, body] of part.bodies) bodies.set(key, body);
    }
    return grouped(groupHashed(deltas, bodies, args as { ignored: readonly IgnoreRule[] }));
  },
};
