/**
 * Heckler's side of `npm run bench -- ack`, in a process of its own: the bot as composeApp builds
 * it in Slack HTTP mode (our gated HTTP server, Bolt, the dedup claim in the embedded store, the
 * real dispatcher), answers posted to the fake Slack whose URL the parent passes. Run with
 * `node --import tsx`.
 *
 * On a `load grouping` line on stdin it groups the noops of BENCH_ACK_NODES nodes (JSON files in
 * BENCH_ACK_INPUT, written by bench/ack.ts from bench/grouping-data.ts) one review after another,
 * the way a review does once every node has answered: each node's delta from its records in the
 * change store, the bodies of what is left, the grouping on the worker pool
 * (src/engine/review/compute.ts). The records are ingested once at start, before any burst. On
 * `load ingest` it instead ingests the fleet's noops again and again, the way the noop cache does
 * as they arrive (src/engine/review/noop-cache.ts): each node's two reports parsed and hashed into
 * the change store, a turn per node. Either prints `{"loading":true}` once the first round has
 * read 90% of the nodes (so a burst meets the end of it); on `stop` it prints `{"groupings":N}`
 * (rounds done) once the round under way is done. With `--load-only` there is no Slack side: the
 * same load in a process of its own, beside the bare Bolt app.
 *
 * Environment: HECKLER_TEST_SLACK_API (the fake's apiUrl). Prints `{"port":N}` once listening.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGroupingPool } from '../../src/adapters/workers/grouping-pool.js';
import { slackAckWaits } from '../../src/bot/slack/call.js';
import { composeApp } from '../../src/compose/app.js';
import type { StoredChange } from '../../src/engine/changes/hash.js';
import { memoryStore } from '../../src/engine/changes/memory.js';
import type { HashedReport } from '../../src/engine/changes/record.js';
import { createChangeStore } from '../../src/engine/changes/store.js';
import type { HashedDeltaInput } from '../../src/engine/delta/hashed.js';
import { systemClock } from '../../src/engine/ports/index.js';
import type { NormalizedReport } from '../../src/engine/puppet/types.js';
import { hashedDeltasAndGroups } from '../../src/engine/review/compute.js';
import { createLogger } from '../../src/log.js';
import { testConfig } from '../../test/support/config.js';
import { TEST_SIGNING_SECRET } from '../../test/support/slack-signing.js';
import { IGNORED, nodeName } from '../grouping-data.js';

const TOKEN = 'xoxb-test-token';
const loadOnly = process.argv.includes('--load-only');
const inputDir = process.env.BENCH_ACK_INPUT ?? '';
const nodes = Number(process.env.BENCH_ACK_NODES ?? '2000');
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** One node's noops as the node sent them: text, parsed on arrival. */
const readNoops = async (i: number) => {
  const [commit, parent] = await Promise.all([
    readFile(join(inputDir, `${i}.commit.json`), 'utf8'),
    readFile(join(inputDir, `${i}.parent.json`), 'utf8'),
  ]);
  return { commit: JSON.parse(commit) as NormalizedReport, parent: JSON.parse(parent) as NormalizedReport };
};

/** The bot's pool, as composeFleet makes it (src/compose/fleet.ts). */
const grouping = createGroupingPool({
  size: 1,
  logger: createLogger({ level: 'warn', secrets: [], destination: process.stderr }),
  later: slackAckWaits.turn,
});
const changes = createChangeStore({ store: memoryStore<StoredChange>(), clock: systemClock });

/**
 * What the noop cache does as each node's noops arrive (src/engine/review/noop-cache.ts): parse,
 * hash every change into the change store, keep the node's record as the store hands it back
 * (JSON text). A turn per node, as the fan-out delivers them.
 */
const ingestAll = async (progress: (read: number) => void): Promise<{ commit: string; parent: string }[]> => {
  const records: { commit: string; parent: string }[] = [];
  for (let i = 0; i < nodes; i++) {
    progress(i);
    const { commit, parent } = await readNoops(i);
    records.push({
      commit: JSON.stringify(await changes.ingest(commit)),
      parent: JSON.stringify(await changes.ingest(parent)),
    });
    await grouping.turn?.();
  }
  return records;
};

/**
 * What computeDelta does once every node has answered, through the same function: each node's
 * delta from its records (a turn each), the bodies of what is left, the grouping on the pool.
 */
const groupOnce = async (
  records: readonly { commit: string; parent: string }[],
  progress: (read: number) => void,
): Promise<number> => {
  function* inputs(): Generator<HashedDeltaInput> {
    for (let i = 0; i < nodes; i++) {
      progress(i);
      const record = records[i] as { commit: string; parent: string };
      yield {
        node: nodeName(i, nodes),
        commit: { status: 'ok', report: JSON.parse(record.commit) as HashedReport },
        parents: [
          { revision: 'parent', noop: { status: 'ok', report: JSON.parse(record.parent) as HashedReport } },
        ],
      };
    }
  }
  const result = await hashedDeltasAndGroups(inputs(), { ignored: IGNORED, changes, offload: grouping });
  if (result.lost) throw new Error(`the change store lost ${result.lost.size} bodies`);
  return result.grouped.groups.length;
};

/**
 * The burst starts once this share of the nodes is read: it meets the end of the reading and the
 * whole step after it (the grouping; the last records written).
 */
const BURST_AT = 0.9;
let loading = false;
let groupings = 0;
let loop: Promise<void> = Promise.resolve();
/**
 * The records the `grouping` load groups again and again: ingested once at start, before any
 * burst, as a review's noops have all arrived (over the minutes of a fan-out) before it groups.
 */
const ingested = await ingestAll(() => {});

/**
 * `grouping`: one review's grouping after another, from the nodes' records (what a review does
 * once every node has answered: the target). `ingest`: one fleet's noops arriving after another,
 * each parsed and hashed into the change store (what the bot does while the noops come in).
 */
const startLoad = async (kind: 'grouping' | 'ingest') => {
  loading = true;
  let told = false;
  const progress = (read: number) => {
    if (told || read < Math.floor(nodes * BURST_AT)) return;
    told = true;
    say({ loading: true });
  };
  const records = ingested;
  loop = (async () => {
    while (loading) {
      if (kind === 'ingest') await ingestAll(progress);
      else await groupOnce(records, progress);
      groupings += 1;
    }
  })();
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if ((command === 'load grouping' || command === 'load ingest') && !loading)
    void startLoad(command === 'load ingest' ? 'ingest' : 'grouping');
  else if (command === 'stop') {
    loading = false;
    void loop.then(() => say({ groupings }));
  }
});

if (loadOnly) {
  say({ port: 0 });
} else {
  const apiUrl = process.env.HECKLER_TEST_SLACK_API;
  if (!apiUrl) throw new Error('HECKLER_TEST_SLACK_API is not set');
  const dataDir = await mkdtemp(join(tmpdir(), 'heckler-bench-ack-'));
  const logger = createLogger({
    level: 'warn',
    secrets: [TOKEN, TEST_SIGNING_SECRET],
    destination: process.stderr,
  });
  const config = testConfig(
    {
      slack: { host: '127.0.0.1', port: 0, path: '/slack/events', apiUrl },
      storage: { dataDir, keyPrefix: 'bench-ack' },
    },
    { secrets: { slackBotToken: TOKEN, slackSigningSecret: TEST_SIGNING_SECRET }, mode: 'slack' },
  );
  // The bot as production composes it, in Slack HTTP mode.
  const app = await composeApp(config, {
    logger,
    version: '0.0.0-bench',
    scheduler: false,
    slack: { clientOptions: { retryConfig: { retries: 0 } } },
  });
  // BENCH_ACK_ONLY=1: commands are acked and dropped, so the ack path is measured alone.
  const ackOnly = process.env.BENCH_ACK_ONLY === '1';
  const { port } = ackOnly ? await app.surface.start({ dispatch: async () => {} }) : await app.start();
  say({ port });
  process.once('SIGTERM', () => {
    void (async () => {
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
      process.exit(0);
    })();
  });
}
if (loadOnly) process.once('SIGTERM', () => process.exit(0));
