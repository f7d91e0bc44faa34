import { describe, expect, it } from 'vitest';
import type { StoredChange } from '../../../src/engine/changes/hash.js';
import { memoryStore } from '../../../src/engine/changes/memory.js';
import { createChangeStore } from '../../../src/engine/changes/store.js';
import { groupDeltas } from '../../../src/engine/delta/group.js';
import { groupHashed } from '../../../src/engine/delta/group-hashed.js';
import type { HashedDeltaInput } from '../../../src/engine/delta/hashed.js';
import type { DeltaInput } from '../../../src/engine/delta/subtract.js';
import type { NodeSpec } from '../../../src/engine/ports/index.js';
import type { Offload } from '../../../src/engine/ports/offload.js';
import type { NormalizedReport } from '../../../src/engine/puppet/types.js';
import { deltasAndGroups, hashedDeltasAndGroups } from '../../../src/engine/review/compute.js';
import { createNoopCache } from '../../../src/engine/review/noop-cache.js';
import type { NodeRun } from '../../../src/engine/runs/puppet-on-node.js';
import { change, report } from '../delta/support.js';

/**
 * Long loops on the bot's thread take one step per turn their caller gives (the bot: once Slack's
 * waiting requests are acked). A gate holds the turns: the loop must stop at the gate, and take
 * exactly one more step per turn let through.
 */
class TurnGate {
  private readonly waiting: Array<() => void> = [];
  taken = 0;
  readonly turn = (): Promise<void> =>
    new Promise((resolve) => {
      this.taken += 1;
      this.waiting.push(resolve);
    });
  /** Lets one held turn through. */
  release(): void {
    this.waiting.shift()?.();
  }
  get held(): number {
    return this.waiting.length;
  }
}

/** Lets every timer, immediate and I/O callback queued now run: what a loop without a gate would get. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

const NODES = 4;
const reportOf = (node: string): NormalizedReport =>
  report(
    [
      change({
        type: 'File',
        title: `/etc/${node}`,
        events: [{ property: 'ensure', from: 'absent', to: 'file' }],
      }),
    ],
    {
      node,
    },
  );
const nodeNames = Array.from({ length: NODES }, (_, i) => `node${i + 1}`);

const inlineOffload = (gate: TurnGate): Offload => ({
  groupDeltas: () => Promise.reject(new Error('not used')),
  groupHashed: () => Promise.reject(new Error('not used')),
  turn: gate.turn,
});

/** Runs `start` and proves it advances one step per released turn, then resolves. */
const pacedBy = async <T>(gate: TurnGate, start: () => Promise<T>): Promise<T> => {
  let done = false;
  const result = start().then((value) => {
    done = true;
    return value;
  });
  for (let step = 1; step <= NODES; step++) {
    await settle();
    // Held at the gate: one node's step taken, the next waits for its turn.
    expect({ step, taken: gate.taken, held: gate.held, done }).toEqual({
      step,
      taken: step,
      held: 1,
      done: false,
    });
    gate.release();
  }
  const value = await result;
  expect(gate.taken).toBe(NODES);
  return value;
};

describe('loops on the bot thread wait for the turn they are given', () => {
  it('deltasAndGroups: one node per turn of the offload', async () => {
    const gate = new TurnGate();
    const inputs: DeltaInput[] = nodeNames.map((node) => ({
      node,
      commit: { status: 'ok', report: reportOf(node) },
      parents: [],
    }));
    const offload: Offload = {
      ...inlineOffload(gate),
      groupDeltas: async (deltas, options) => groupDeltas(deltas, options),
    };
    const { deltas } = await pacedBy(gate, () => deltasAndGroups(inputs, { ignored: [], offload }));
    expect(deltas.map((d) => d.node)).toEqual(nodeNames);
  });

  it('hashedDeltasAndGroups: one node per turn of the offload', async () => {
    const gate = new TurnGate();
    const changes = createChangeStore({ store: memoryStore<StoredChange>(), clock: { now: () => 0 } });
    const inputs: HashedDeltaInput[] = [];
    for (const node of nodeNames)
      inputs.push({
        node,
        commit: { status: 'ok', report: await changes.ingest(reportOf(node)) },
        parents: [],
      });
    const result = await pacedBy(gate, () =>
      hashedDeltasAndGroups(inputs, {
        ignored: [],
        changes,
        offload: {
          ...inlineOffload(gate),
          groupHashed: async (deltas, bodies, options) => groupHashed(deltas, bodies, options),
        },
      }),
    );
    expect(result.lost).toBeUndefined();
    expect(result.lost === undefined && result.grouped.groups.map((g) => g.nodes)).toEqual(
      nodeNames.map((node) => [node]),
    );
  });

  it("the noop cache: one node's report hashed per turn", async () => {
    const gate = new TurnGate();
    const fleet = {
      runSha: async (sha: string, nodes: readonly NodeSpec[]): Promise<NodeRun[]> =>
        nodes.map((node) => ({
          node: node.name,
          sha,
          reached: true,
          report: reportOf(node.name),
          sync: {} as never,
          durationMs: 1,
        })),
    };
    const cache = createNoopCache({ fleet, store: memoryStore(), ttlMs: 60_000, turn: gate.turn });
    const noops = await pacedBy(gate, () =>
      cache.noops(
        'c1',
        nodeNames.map((name) => ({ name }) as NodeSpec),
        new Map(),
      ),
    );
    expect([...noops.keys()]).toEqual(nodeNames);
    expect([...noops.values()].every((noop) => noop.status === 'ok')).toBe(true);
  });
});
