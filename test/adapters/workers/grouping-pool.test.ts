import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IGNORED, nodeInput } from '../../../bench/grouping-data.js';
import {
  createGroupingPool,
  type GroupingPool,
  NODES_PER_PART,
} from '../../../src/adapters/workers/grouping-pool.js';
import { GROUPS_PER_PART } from '../../../src/adapters/workers/tasks.js';
import { type GroupedDelta, groupDeltas, type IgnoreRule } from '../../../src/engine/delta/group.js';
import { deltaForNode, type NodeDelta } from '../../../src/engine/delta/subtract.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import type { NormalizedReport } from '../../../src/engine/puppet/types.js';
import { deltasAndGroups } from '../../../src/engine/review/compute.js';
import { cache, cacheRule, change, delta } from '../../engine/delta/support.js';
import { captureLogger } from '../../support/logger.js';
import { turnsDuring } from '../../support/turns.js';

/** Deltas of `nodes` nodes of the grouping bench's fleet (500 resources a node, 50 in the delta). */
const benchDeltas = (nodes: number): NodeDelta[] =>
  Array.from({ length: nodes }, (_, i) => {
    const { node, commit, parent } = nodeInput(i, nodes);
    return deltaForNode({
      node,
      commit: { status: 'ok', report: JSON.parse(commit) as NormalizedReport },
      parents: [
        { revision: 'parent', noop: { status: 'ok', report: JSON.parse(parent) as NormalizedReport } },
      ],
    });
  });

const motd = change({
  type: 'File',
  title: '/etc/motd',
  file: 'modules/base/manifests/init.pp',
  line: 3,
  events: [{ property: 'content', from: '{sha256}a', to: '{sha256}b' }],
  diff: '-old\n+new',
});

const mixed: NodeDelta[] = [
  delta('web10', [motd, cache]),
  delta('web2', [motd]),
  delta('web1', [{ ...motd, line: 4 }, cache]),
  delta('db1', [], { kind: 'failed', error: 'puppet exited 1' }),
  delta('db2', [], { kind: 'unreachable', error: 'connect ECONNREFUSED' }),
  delta('db3', [], { kind: 'not_in_lineage' }),
  delta('db4', [], {
    kind: 'eval_error',
    evalErrors: [{ message: 'Syntax error at end of input', file: 'manifests/site.pp', line: 9 }],
  }),
  delta('db5', [motd], {
    parentErrors: [
      {
        revision: 'abc1234',
        applied: true,
        kind: 'eval_error',
        message: 'Unknown resource type',
        evalErrors: [{ message: 'Unknown resource type' }],
      },
    ],
  }),
  delta('db6', []),
];

/** Text that breaks naive code: prototype keys, mrkdwn, control and astral characters, a 2 MB diff. */
const hostile: NodeDelta[] = ['__proto__', 'constructor', 'n<!channel>', 'n\u0000\u202e', 'n😀'].map(
  (node, i) =>
    delta(node, [
      change({ type: 'File', title: '__proto__', events: [{ property: 'content', from: '{}', to: '[]' }] }),
      change({ type: 'Exec', title: '<!here> `rm -rf /` *bold*', refresh: true, file: undefined }),
      change({ type: 'File', title: '/big', diff: `${'+x'.repeat(1_000_000)}${i % 2}` }),
    ]),
);

const scoped: IgnoreRule = { ...cacheRule, nodes: ['web1'], id: 'ig-1' };

const cases: { name: string; deltas: () => NodeDelta[]; ignored: IgnoreRule[] }[] = [
  { name: 'no deltas at all', deltas: () => [], ignored: [] },
  { name: 'every kind of delta, out of order', deltas: () => mixed, ignored: [] },
  { name: 'an ignore rule', deltas: () => mixed, ignored: [cacheRule] },
  { name: 'a node-scoped ignore (a group splits)', deltas: () => mixed, ignored: [scoped, cacheRule] },
  { name: 'hostile text and a 2 MB diff', deltas: () => hostile, ignored: [] },
  {
    name: `60 bench nodes (over ${NODES_PER_PART} nodes and ${GROUPS_PER_PART} groups a message)`,
    deltas: () => benchDeltas(60),
    ignored: IGNORED,
  },
];

describe('the grouping pool', { timeout: 180_000 }, () => {
  let pool: GroupingPool;
  beforeAll(() => {
    pool = createGroupingPool({ size: 2, logger: captureLogger().logger });
  });
  afterAll(() => pool.close());

  it.each(cases)('returns exactly what groupDeltas returns inline: $name', async ({ deltas, ignored }) => {
    const input = deltas();
    const inline = groupDeltas(input, { ignored });
    const pooled = await pool.groupDeltas(input, { ignored });
    expect(pooled).toEqual(inline);
    // The same keys in the same order: a record stored from either reads back the same.
    expect(JSON.stringify(pooled)).toBe(JSON.stringify(inline));
  });

  it('the bench case really crosses message boundaries both ways', () => {
    const grouped: GroupedDelta = groupDeltas(benchDeltas(60), { ignored: IGNORED });
    expect(grouped.groups.length).toBeGreaterThan(GROUPS_PER_PART);
    expect(60).toBeGreaterThan(NODES_PER_PART);
  });

  it('fails as groupDeltas fails: an invalid ignore pattern is CONFIG_INVALID with the same words', async () => {
    const bad: IgnoreRule[] = [{ type: 'File', titlePattern: '(', purpose: 'p', rationale: 'r' }];
    let inlineError: unknown;
    try {
      groupDeltas(mixed, { ignored: bad });
    } catch (error) {
      inlineError = error;
    }
    const pooledError = await pool.groupDeltas(mixed, { ignored: bad }).catch((error: unknown) => error);
    expect(isHecklerError(inlineError, 'CONFIG_INVALID')).toBe(true);
    expect(isHecklerError(pooledError, 'CONFIG_INVALID')).toBe(true);
    expect((pooledError as Error).message).toBe((inlineError as Error).message);
    // The worker lived through it.
    expect((await pool.groupDeltas([], { ignored: [] })).groups).toEqual([]);
  });

  it('leaves the event loop free: a callback queued after a big grouping starts runs before it ends', async () => {
    const input = benchDeltas(300);
    const order: string[] = [];
    const grouping = pool.groupDeltas(input, { ignored: IGNORED }).then((grouped) => {
      order.push('grouped');
      return grouped;
    });
    setImmediate(() => order.push('immediate'));
    setTimeout(() => order.push('timer'), 0);
    const grouped = await grouping;
    expect(order).toEqual(['immediate', 'timer', 'grouped']);
    expect(grouped.deltaHash).toBe(groupDeltas(input, { ignored: IGNORED }).deltaHash);
  });

  it('inline, the same grouping holds the event loop until it is done (what the pool is for)', async () => {
    const input = benchDeltas(300);
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    const grouping = Promise.resolve().then(() => {
      groupDeltas(input, { ignored: IGNORED });
      order.push('grouped');
    });
    await grouping;
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['grouped', 'immediate']);
  });

  it('deltasAndGroups gives the same deltas and groups with the pool as without, with turns between nodes', async () => {
    const nodes = 40;
    const inputs = Array.from({ length: nodes }, (_, i) => {
      const { node, commit, parent } = nodeInput(i, nodes);
      return {
        node,
        commit: { status: 'ok' as const, report: JSON.parse(commit) as NormalizedReport },
        parents: [
          {
            revision: 'parent',
            noop: { status: 'ok' as const, report: JSON.parse(parent) as NormalizedReport },
          },
        ],
      };
    });
    const also = [delta('zz-outside', [], { kind: 'not_in_lineage' })];
    const inline = await deltasAndGroups(inputs, { ignored: IGNORED, also });
    const { value: pooled, turns } = await turnsDuring(() =>
      deltasAndGroups(inputs, { ignored: IGNORED, also, offload: pool }),
    );
    expect(pooled).toEqual(inline);
    expect(inline.deltas.map((d) => d.node).at(-1)).toBe('zz-outside');
    // One turn of the event loop at least per node's subtraction: nothing else held it.
    expect(turns).toBeGreaterThanOrEqual(nodes);
  });
});
