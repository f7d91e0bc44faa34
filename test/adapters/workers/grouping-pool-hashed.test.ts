import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IGNORED, nodeInput } from '../../../bench/grouping-data.js';
import { createGroupingPool, type GroupingPool } from '../../../src/adapters/workers/grouping-pool.js';
import type { StoredChange } from '../../../src/engine/changes/hash.js';
import { memoryStore } from '../../../src/engine/changes/memory.js';
import { changeCount, ingestReport, keyAt, whereAt } from '../../../src/engine/changes/record.js';
import { createChangeStore } from '../../../src/engine/changes/store.js';
import { groupDeltas, type IgnoreRule } from '../../../src/engine/delta/group.js';
import { groupHashed } from '../../../src/engine/delta/group-hashed.js';
import {
  type HashedDelta,
  type HashedDeltaInput,
  hashedDeltaForNode,
} from '../../../src/engine/delta/hashed.js';
import { deltaForNode, type NodeDelta } from '../../../src/engine/delta/subtract.js';
import type { NormalizedReport } from '../../../src/engine/puppet/types.js';
import { hashedDeltasAndGroups } from '../../../src/engine/review/compute.js';
import { cache, cacheRule, change, delta, report } from '../../engine/delta/support.js';
import { captureLogger } from '../../support/logger.js';

/** The deltas as the change store gives them: keys and places per node, every body by key. */
const hashed = (deltas: readonly NodeDelta[]) => {
  const bodies = new Map<string, StoredChange>();
  const out = deltas.map(({ resources, ...rest }): HashedDelta => {
    const { record, bodies: some } = ingestReport(report(resources));
    for (const [key, body] of some) bodies.set(key, body);
    const n = changeCount(record);
    return {
      ...rest,
      keys: Array.from({ length: n }, (_, k) => keyAt(record, k)),
      where: Array.from({ length: n }, (_, k) => whereAt(record, k)),
    };
  });
  return { deltas: out, bodies };
};

const motd = change({
  type: 'File',
  title: '/etc/motd',
  file: 'modules/base/manifests/init.pp',
  line: 3,
  events: [{ property: 'content', from: '{sha256}a', to: '{sha256}b' }],
  diff: '-old\n+new',
});

/** Text that breaks naive code: prototype keys, mrkdwn, control and astral characters, a 2 MB diff. */
const hostile: NodeDelta[] = ['__proto__', 'constructor', 'n<!channel>', 'n\u0000\u202e', 'n😀'].map(
  (node, i) =>
    delta(node, [
      change({ type: 'File', title: '__proto__', events: [{ property: 'content', from: '{}', to: '[]' }] }),
      change({ type: 'Exec', title: '<!here> `rm -rf /` *bold*', refresh: true }),
      change({ type: 'File', title: '/big', diff: `${'+x'.repeat(1_000_000)}${i % 2}` }),
    ]),
);

const bench = (nodes: number): NodeDelta[] =>
  Array.from({ length: nodes }, (_, i) => {
    const { node, commit, parent } = nodeInput(i, nodes);
    return deltaForNode({
      node,
      commit: { status: 'ok', report: JSON.parse(commit) as NormalizedReport },
      parents: [{ revision: 'p', noop: { status: 'ok', report: JSON.parse(parent) as NormalizedReport } }],
    });
  });

const mixed = [
  delta('web10', [motd, cache]),
  delta('web1', [{ ...motd, line: 4 }, cache]),
  delta('db1', [], { kind: 'failed', error: 'puppet exited 1' }),
  delta('db3', [], { kind: 'not_in_lineage' }),
];

const cases: { name: string; deltas: () => NodeDelta[]; ignored: IgnoreRule[] }[] = [
  { name: 'no deltas at all', deltas: () => [], ignored: [] },
  {
    name: 'a node-scoped ignore (a group splits)',
    deltas: () => mixed,
    ignored: [{ ...cacheRule, nodes: ['web1'] }],
  },
  { name: 'hostile text and a 2 MB diff', deltas: () => hostile, ignored: [] },
  { name: '60 bench nodes (many parts each way)', deltas: () => bench(60), ignored: IGNORED },
];

describe('the grouping pool over change-store deltas', { timeout: 180_000 }, () => {
  let pool: GroupingPool;
  beforeAll(() => {
    pool = createGroupingPool({ size: 1, logger: captureLogger().logger });
  });
  afterAll(() => pool.close());

  it.each(cases)(
    'returns what groupHashed and groupDeltas return inline: $name',
    async ({ deltas, ignored }) => {
      const input = deltas();
      const { deltas: keyed, bodies } = hashed(input);
      const pooled = await pool.groupHashed(keyed, bodies, { ignored });
      expect(pooled).toStrictEqual(groupHashed(keyed, bodies, { ignored }));
      expect(pooled).toStrictEqual(groupDeltas(input, { ignored }));
    },
  );

  it('fails as the inline grouping fails: a key without its body is STORE_UNAVAILABLE', async () => {
    const { deltas: keyed } = hashed(mixed);
    const failed = await pool.groupHashed(keyed, new Map(), { ignored: [] }).catch((error: unknown) => error);
    expect(failed).toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/no body for change/),
    });
  });

  it('makes each node delta from its records as hashedDeltaForNode does, through the whole review', async () => {
    const nodes = 45;
    const changes = createChangeStore({ store: memoryStore<StoredChange>(), clock: { now: () => 0 } });
    const inputs: HashedDeltaInput[] = [{ node: 'zz-outside', notInLineage: true }];
    for (let i = 0; i < nodes; i++) {
      const { node, commit, parent } = nodeInput(i, nodes);
      inputs.push({
        node,
        commit: { status: 'ok', report: await changes.ingest(JSON.parse(commit) as NormalizedReport) },
        parents: [
          {
            revision: 'p',
            noop: { status: 'ok', report: await changes.ingest(JSON.parse(parent) as NormalizedReport) },
          },
        ],
      });
    }
    const pooled = await pool.hashedDeltas?.(inputs);
    expect(pooled).toStrictEqual(inputs.map(hashedDeltaForNode));
    expect(pooled?.some((delta) => delta.keys.length > 0)).toBe(true);
    const inline = await hashedDeltasAndGroups(inputs, { ignored: IGNORED, changes });
    const offloaded = await hashedDeltasAndGroups(inputs, { ignored: IGNORED, changes, offload: pool });
    expect(offloaded).toStrictEqual(inline);
  });
});
