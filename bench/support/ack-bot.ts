/**
 * Heckler's side of `npm run bench -- ack`, in a process of its own: the bot as composeApp builds
 * it in Slack HTTP mode (our gated HTTP server, Bolt, the dedup claim in the embedded store, the
 * real dispatcher), answers posted to the fake Slack whose URL the parent passes. Run with
 * `node --import tsx`.
 *
 * On a `load` line on stdin it starts grouping the noops of BENCH_ACK_NODES nodes (JSON files in
 * BENCH_ACK_INPUT, written by bench/ack.ts from bench/grouping-data.ts), one grouping after another,
 * the way a review groups them (src/engine/review/compute.ts), and prints `{"loading":true}` once the
 * first grouping has read 90% of the nodes (so a burst meets the end of reading and all of the
 * grouping step); on
 * `stop` it prints `{"groupings":N}` once the grouping under way is done. With `--load-only` there
 * is no Slack side: the same load in a process of its own, beside the bare Bolt app.
 *
 * Environment: HECKLER_TEST_SLACK_API (the fake's apiUrl). Prints `{"port":N}` once listening.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGroupingPool } from '../../src/adapters/workers/grouping-pool.js';
import { composeApp } from '../../src/compose/app.js';
import type { DeltaInput } from '../../src/engine/delta/index.js';
import type { NormalizedReport } from '../../src/engine/puppet/types.js';
import { deltasAndGroups } from '../../src/engine/review/compute.js';
import { createLogger } from '../../src/log.js';
import { testConfig } from '../../test/support/config.js';
import { TEST_SIGNING_SECRET } from '../../test/support/slack-signing.js';
import { IGNORED, nodeName } from '../grouping-data.js';

const TOKEN = 'xoxb-test-token';
const loadOnly = process.argv.includes('--load-only');
const inputDir = process.env.BENCH_ACK_INPUT ?? '';
const nodes = Number(process.env.BENCH_ACK_NODES ?? '2000');
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** One node's noops as the store hands them back: text, parsed on reading. */
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
});

/** What computeDelta does with the noops, through the same function: a delta per node as its noops arrive, then the grouping. */
const groupOnce = async (progress: (read: number) => void): Promise<number> => {
  async function* inputs(): AsyncGenerator<DeltaInput> {
    for (let i = 0; i < nodes; i++) {
      progress(i);
      const { commit, parent } = await readNoops(i);
      yield {
        node: nodeName(i, nodes),
        commit: { status: 'ok', report: commit },
        parents: [{ revision: 'parent', noop: { status: 'ok', report: parent } }],
      };
    }
  }
  const { grouped } = await deltasAndGroups(inputs(), { ignored: IGNORED, offload: grouping });
  return grouped.groups.length;
};

/** The burst starts once the first grouping has read this share of the nodes: it meets the end of
 * the reading and the whole grouping step. */
const BURST_AT = 0.9;
let loading = false;
let groupings = 0;
let loop: Promise<void> = Promise.resolve();
const startLoad = () => {
  loading = true;
  let told = false;
  const progress = (read: number) => {
    if (told || read < Math.floor(nodes * BURST_AT)) return;
    told = true;
    say({ loading: true });
  };
  loop = (async () => {
    while (loading) {
      await groupOnce(progress);
      groupings += 1;
    }
  })();
};

createInterface({ input: process.stdin }).on('line', (line) => {
  const command = line.trim();
  if (command === 'load' && !loading) startLoad();
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
