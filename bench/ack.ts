import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { signedHeaders, slashCommandBody } from '../test/support/slack-signing.js';
import { nodeInput, RESOURCES } from './grouping-data.js';
import { JsonChild } from './support/json-child.js';
import { type LatencySummary, summarize, summaryText } from './support/latency.js';
import { envInt, spread, targetLine } from './support/measure.js';

/**
 * `npm run bench -- ack` (issue 14 §3): how fast Slack gets its HTTP 200. One burst of 200 signed
 * `/heckler help` slash commands sent at once, timed from send to the 200, against
 *   (a) a bare Bolt 5 app that only acks,
 *   (b) Heckler idle (our gated server, Bolt, the dedup claim, the dispatcher, answers posted to a
 *       fake Slack in a process of its own),
 *   (c) Heckler while it groups the noops of 2,000 nodes × 500 resources (bench/grouping-data.ts),
 *       one grouping after another, in the bot process, the way a review does once every node has
 *       answered: deltas from the nodes' records in the change store, then the grouping,
 *   (d) the bare Bolt app while the same groupings run in another process (the same CPU load on the
 *       machine, none on its event loop),
 *   (e) Heckler while the same noops arrive, again and again: each node's two reports parsed and
 *       hashed into the change store, a turn per node (what the bot does during a fan-out; printed,
 *       no target: on a real fleet it is spread over the minutes the nodes take to answer),
 *   (f) the bare Bolt app while the same ingesting runs in another process.
 * Each app in its own process; the cases alternate within each run so machine load hits all alike;
 * one unmeasured burst of the same size warms each app first, idle and under each load (a bot
 * serves for days: its code is loaded and optimized; a first burst also pays tsx compiling modules
 * on first use, a first grouping V8 optimizing it). Percentiles
 * pool the 3 runs (600 acks a case);
 * an answer other than 200 (a 408 when the body was not read in time) keeps its time and is counted.
 *
 * Knobs (environment): BENCH_NODES (2000), BENCH_RUNS (3), BENCH_BURST (200); BENCH_ACK_ONLY=1
 * makes Heckler drop every command after its ack, to measure the ack path without the answers.
 */

const HERE = fileURLToPath(new URL('.', import.meta.url));
const out = (line = '') => process.stdout.write(`${line}\n`);

const writeInput = (nodes: number): string => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-bench-ack-'));
  for (let i = 0; i < nodes; i++) {
    const { commit, parent } = nodeInput(i, nodes);
    writeFileSync(join(dir, `${i}.commit.json`), commit);
    writeFileSync(join(dir, `${i}.parent.json`), parent);
  }
  return dir;
};

let sent = 0;
/** Answers other than 200 by status, per case: Slack counts them as failed deliveries. */
const refused = new Map<string, Map<number, number>>();
const refusedTotal = () =>
  [...refused.values()].reduce((sum, byStatus) => sum + [...byStatus.values()].reduce((a, b) => a + b, 0), 0);
/**
 * Sends `count` signed `/heckler help` at once; milliseconds from each send to its answer. An
 * answer other than 200 keeps its time and is counted in `refused` under `label`.
 */
const burst = async (label: string, port: number, count: number, responseUrl: string): Promise<number[]> => {
  const url = `http://127.0.0.1:${port}/slack/events`;
  // Signed before the clock starts: signing is Slack's work, not the app's.
  const requests = Array.from({ length: count }, () => {
    sent += 1;
    const body = slashCommandBody({ user: 'U0ADMIN', text: 'help', responseUrl: `${responseUrl}${sent}` });
    return { body: body.raw, headers: signedHeaders(body) };
  });
  return Promise.all(
    requests.map(async ({ body, headers }) => {
      const started = performance.now();
      const response = await fetch(url, { method: 'POST', headers, body });
      const ms = performance.now() - started;
      await response.arrayBuffer();
      if (response.status !== 200) {
        const byStatus = refused.get(label) ?? new Map<number, number>();
        byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
        refused.set(label, byStatus);
      }
      return ms;
    }),
  );
};

/** Waits until the fake Slack has had `expected` answers and no more arrive for a moment. */
const answersSettled = async (slack: JsonChild, expected: number): Promise<number> => {
  let last = -1;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    slack.send('count');
    const { responses } = (await slack.take('responses')) as { responses: number };
    if (responses >= expected && responses === last) return responses;
    last = responses;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the bot did not post its ${expected} answers within 5 minutes (had ${last})`);
};

type Case = 'bareIdle' | 'hecklerIdle' | 'bareLoaded' | 'hecklerLoaded' | 'bareIngest' | 'hecklerIngest';
const CASES: Case[] = [
  'bareIdle',
  'hecklerIdle',
  'bareLoaded',
  'hecklerLoaded',
  'bareIngest',
  'hecklerIngest',
];
const LABELS: Record<Case, string> = {
  bareIdle: '(a) bare Bolt, idle',
  hecklerIdle: '(b) Heckler, idle',
  bareLoaded: '(d) bare Bolt, groupings in another process',
  hecklerLoaded: '(c) Heckler, groupings in the bot',
  bareIngest: '(f) bare Bolt, ingesting in another process',
  hecklerIngest: '(e) Heckler, ingesting noops in the bot',
};

/** BENCH_ACK_ONLY=1: Heckler acks and drops every command (no answers): its ack path alone. */
const ackOnly = process.env.BENCH_ACK_ONLY === '1';

export const run = async (): Promise<void> => {
  const nodes = envInt('BENCH_NODES', 2000);
  const runs = envInt('BENCH_RUNS', 3);
  const size = envInt('BENCH_BURST', 200);
  out(`ack: ${size} signed /heckler help in one burst, ${runs} runs per case, ms from send to HTTP 200`);
  const started = performance.now();
  const dir = writeInput(nodes);
  out(
    `  grouping input: ${nodes} nodes × ${RESOURCES} resources, commit and parent noops, written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const slack = JsonChild.start('fake slack', join(HERE, 'support/ack-slack.ts'));
  const children: JsonChild[] = [slack];
  try {
    const { apiUrl } = (await slack.take('apiUrl')) as { apiUrl: string };
    const env = { HECKLER_TEST_SLACK_API: apiUrl, BENCH_ACK_INPUT: dir, BENCH_ACK_NODES: String(nodes) };
    const bare = JsonChild.start('bare bolt', join(HERE, 'support/ack-bare-bolt.ts'));
    const heckler = JsonChild.start('heckler', join(HERE, 'support/ack-bot.ts'), [], env);
    const load = JsonChild.start('load', join(HERE, 'support/ack-bot.ts'), ['--load-only'], env);
    children.push(bare, heckler, load);
    const barePort = (await bare.take('port')).port as number;
    const hecklerPort = (await heckler.take('port')).port as number;
    await load.take('port');
    const responseUrl = `${apiUrl.replace(/api\/$/, '')}response/ack-`;
    let answers = 0;
    const hecklerBurst = async (label: string, count: number, acked?: () => void) => {
      const before = refusedTotal();
      const times = await burst(label, hecklerPort, count, responseUrl);
      acked?.();
      // A refused command is never run: only the acked ones are answered.
      if (!ackOnly) answers += count - (refusedTotal() - before);
      answers = await answersSettled(slack, answers);
      return times;
    };
    const loaded = async (loader: JsonChild, kind: 'grouping' | 'ingest', send: () => Promise<number[]>) => {
      loader.send(`load ${kind}`);
      await loader.take('loading');
      const times = await send();
      loader.send('stop');
      const { groupings } = (await loader.take('groupings')) as { groupings: number };
      return { times, groupings };
    };
    await burst('warm-up', barePort, size, responseUrl);
    await hecklerBurst('warm-up', size);
    // The loads warm up too: a bot that has served for days has its grouping and ingesting code
    // compiled and optimized, as it has its ack path.
    for (const kind of ['grouping', 'ingest'] as const) {
      await loaded(load, kind, () => burst('warm-up', barePort, size, responseUrl));
      await loaded(heckler, kind, () => hecklerBurst('warm-up', size));
    }
    const times = Object.fromEntries(CASES.map((key) => [key, []])) as unknown as Record<Case, number[][]>;
    /** CPU ms per command of each idle burst: to the last ack, and until every answer is posted. */
    const cpu = { bareAcked: [] as number[], hecklerAcked: [] as number[], hecklerAnswered: [] as number[] };
    const perCommand = (ms: number) => ms / size;
    for (let i = 0; i < runs; i++) {
      const bareBefore = bare.cpuMs();
      times.bareIdle.push(await burst('bareIdle', barePort, size, responseUrl));
      cpu.bareAcked.push(perCommand(bare.cpuMs() - bareBefore));
      const hecklerBefore = heckler.cpuMs();
      let hecklerAcked = 0;
      times.hecklerIdle.push(await hecklerBurst('hecklerIdle', size, () => (hecklerAcked = heckler.cpuMs())));
      cpu.hecklerAcked.push(perCommand(hecklerAcked - hecklerBefore));
      cpu.hecklerAnswered.push(perCommand(heckler.cpuMs() - hecklerBefore));
      const bareLoaded = await loaded(load, 'grouping', () =>
        burst('bareLoaded', barePort, size, responseUrl),
      );
      times.bareLoaded.push(bareLoaded.times);
      const hecklerLoaded = await loaded(heckler, 'grouping', () => hecklerBurst('hecklerLoaded', size));
      times.hecklerLoaded.push(hecklerLoaded.times);
      const bareIngest = await loaded(load, 'ingest', () => burst('bareIngest', barePort, size, responseUrl));
      times.bareIngest.push(bareIngest.times);
      const hecklerIngest = await loaded(heckler, 'ingest', () => hecklerBurst('hecklerIngest', size));
      times.hecklerIngest.push(hecklerIngest.times);
      const p99 = (key: Case) => `${summarize(times[key][i] as number[]).p99.toFixed(0)} ms`;
      out(
        `  run ${i + 1}: p99 (a) ${p99('bareIdle')}, (b) ${p99('hecklerIdle')}, (d) ${p99('bareLoaded')}, (c) ${p99('hecklerLoaded')}, (f) ${p99('bareIngest')}, (e) ${p99('hecklerIngest')}; rounds done during (d) ${bareLoaded.groupings}, (c) ${hecklerLoaded.groupings}, (f) ${bareIngest.groupings}, (e) ${hecklerIngest.groupings}`,
      );
    }
    out();
    const summaries = Object.fromEntries(
      (Object.keys(times) as Case[]).map((key) => [key, summarize(times[key].flat())]),
    ) as Record<Case, LatencySummary>;
    for (const key of CASES) {
      const byStatus = [...(refused.get(key) ?? [])].map(([status, n]) => `${n}× ${status}`).join(', ');
      out(
        `${LABELS[key].padEnd(46)} ${summaryText(summaries[key])}${byStatus ? `  not 200: ${byStatus}` : ''}`,
      );
    }
    const idle = summaries.hecklerIdle.p99 / summaries.bareIdle.p99;
    const grouping = summaries.hecklerLoaded.p99 / summaries.bareLoaded.p99;
    const ingest = summaries.hecklerIngest.p99 / summaries.bareIngest.p99;
    out(
      `p99 ratios: (b)/(a) ${idle.toFixed(2)}×, (c)/(d) ${grouping.toFixed(2)}×, (c)/(a) ${(summaries.hecklerLoaded.p99 / summaries.bareIdle.p99).toFixed(2)}×, (d)/(a) ${(summaries.bareLoaded.p99 / summaries.bareIdle.p99).toFixed(2)}×; while noops are ingested (e)/(f) ${ingest.toFixed(2)}× (no target: it happens while the fleet answers, spread over the fan-out)`,
    );
    out(`answers posted by Heckler (response_url): ${answers}`);
    const ms = (values: number[]) => spread(values, 'ms', 2);
    out(
      `CPU per command, idle bursts (every thread, 10 ms ticks): bare Bolt to the last ack ${ms(cpu.bareAcked)}; Heckler to the last ack ${ms(cpu.hecklerAcked)}, until every answer is posted ${ms(cpu.hecklerAnswered)}`,
    );
    const warmUp = refused.get('warm-up');
    if (warmUp)
      out(`warm-up bursts answered other than 200: ${[...warmUp].map(([s, n]) => `${n}× ${s}`).join(', ')}`);
    out();
    out(targetLine('ack-p99/bare-idle', idle, { op: '≤', limit: 1.5, unit: '×' }));
    out(targetLine('ack-p99/bare-grouping', grouping, { op: '≤', limit: 2, unit: '×' }));
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
};
