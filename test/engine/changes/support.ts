import type { StoredChange } from '../../../src/engine/changes/hash.js';
import { ingestReport } from '../../../src/engine/changes/record.js';
import type { HashedDeltaInput, HashedNoop } from '../../../src/engine/delta/hashed.js';
import type { DeltaInput, NodeNoop } from '../../../src/engine/delta/subtract.js';

/** The same noops as the change store keeps them: records, and every body by key. */
export const hashInputs = (inputs: readonly DeltaInput[]) => {
  const bodies = new Map<string, StoredChange>();
  const hashNoop = (noop: NodeNoop): HashedNoop => {
    if (noop.status !== 'ok') return noop;
    const ingested = ingestReport(noop.report);
    for (const [key, body] of ingested.bodies) bodies.set(key, body);
    return { status: 'ok', report: ingested.record };
  };
  const hashed = inputs.map(
    (input): HashedDeltaInput =>
      input.notInLineage === true
        ? input
        : {
            node: input.node,
            commit: hashNoop(input.commit),
            parents: input.parents.map((parent) => ({ ...parent, noop: hashNoop(parent.noop) })),
          },
  );
  return { hashed, bodies };
};
