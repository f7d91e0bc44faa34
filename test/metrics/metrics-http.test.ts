import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalFleet, type LocalFleet } from '../engine/apply/local-fleet.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { waitFor } from '../support/process.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { sendSigned, slashCommandBody, TEST_SIGNING_SECRET } from '../support/slack-signing.js';
import { type BotProcess, startBotProcess } from './bot-process.js';
import { parseExposition, type Sample, sampleValue } from './exposition.js';

/**
 * Issue 14 §2: the real bot in Slack's HTTP mode (the fake Web API behind slack.apiUrl, a real
 * Redis, three local nodes with a stand-in Puppet) serves /metrics, /healthz and /readyz on its
 * Slack port. Counters move by exactly what was done; /readyz names the store while Redis is down.
 */
const TOKEN = 'xoxb-test-token';
let dir: string;
let redis: RedisServer;
let slack: FakeSlackApi;
let local: LocalFleet;
let bot: BotProcess;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heckler-metrics-'));
  [redis, slack, local] = await Promise.all([
    startRedis(),
    FakeSlackApi.start({ tokens: [TOKEN] }),
    createLocalFleet({ nodes: 3, dir: join(dir, 'fleet') }),
  ]);
  bot = await startBotProcess({
    dir,
    file: {
      ...local.config,
      users: { U0ADMIN: 'ada', U0NOBODY: 'nob' },
      roles: { admins: ['U0ADMIN'] },
      chat: { channel: 'C0OPS' },
      slack: { host: '127.0.0.1', port: 0, apiUrl: slack.apiUrl },
      storage: { dataDir: join(dir, 'data'), keyPrefix: 'metrics-test' },
      log: { level: 'info' },
    },
    env: { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, REDIS_URL: redis.url },
  });
  base = `http://127.0.0.1:${bot.port}`;
}, 180_000);

afterAll(async () => {
  await bot?.stop();
  await Promise.allSettled([redis?.stop(), slack?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const scrape = async (): Promise<Sample[]> => {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
};

let delivery = 0;
/** One signed slash command, as Slack sends it; resolves with its private answer's text. */
const command = async (user: string, text: string): Promise<string> => {
  delivery += 1;
  const id = `m${delivery}`;
  const response = await sendSigned(
    `${base}/slack/events`,
    slashCommandBody({ user, text, responseUrl: slack.responseUrl(id) }),
  );
  expect(response.status).toBe(200);
  const answer = await slack.waitForResponse(id, () => true, 30_000);
  return JSON.stringify(answer.body);
};

const count = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  sampleValue(samples, name, labels);

describe('metrics and health of a running bot', { timeout: 180_000 }, () => {
  it('answers /healthz, and /readyz with every check passing', async () => {
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready\nstore: ok\nmirror: ok\nchat: ok\n');
  });

  it('counts commands by name and outcome, and each ack, by exactly what was sent', async () => {
    const before = await scrape();
    await command('U0NOBODY', 'help');
    await command('U0NOBODY', 'help');
    await command('U0NOBODY', 'whoami');
    await command('U0NOBODY', 'frobnicate <!channel>');
    await command('U0NOBODY', 'unlock node1');
    const after = await scrape();
    const delta = (labels: Record<string, string>) =>
      count(after, 'heckler_commands_total', labels) - count(before, 'heckler_commands_total', labels);
    expect(delta({ command: 'help', outcome: 'ok' })).toBe(2);
    expect(delta({ command: 'whoami', outcome: 'ok' })).toBe(1);
    expect(delta({ command: 'unknown', outcome: 'usage' })).toBe(1);
    expect(delta({ command: 'unlock', outcome: 'denied' })).toBe(1);
    const acks = (s: Sample[]) => count(s, 'heckler_ack_latency_seconds_count');
    expect(acks(after) - acks(before)).toBe(5);
    expect(after.some((s) => JSON.stringify(s).includes('frobnicate'))).toBe(false);
  });

  it('times each node of a noop and counts the nodes by outcome', async () => {
    const before = await scrape();
    await command('U0ADMIN', `noop ${local.repo.commits.motdChange}`);
    const runs = (s: Sample[], node: string) =>
      count(s, 'heckler_node_run_seconds_count', { node, mode: 'noop' });
    const after = await waitFor(
      async () => {
        const samples = await scrape();
        return local.names.every((node) => runs(samples, node) > runs(before, node)) && samples;
      },
      { timeoutMs: 60_000, what: 'a noop run counted on every node' },
    );
    for (const node of local.names) expect(runs(after, node) - runs(before, node)).toBe(1);
    const outcomes = (s: Sample[]) =>
      s
        .filter((x) => x.name === 'heckler_node_runs_total' && x.labels.mode === 'noop')
        .reduce((n, x) => n + x.value, 0);
    expect(outcomes(after) - outcomes(before)).toBe(local.names.length);
  });

  it('turns /readyz to 503 naming the store while Redis is down, counts store errors, and recovers', async () => {
    const errors = (s: Sample[]) =>
      s.filter((x) => x.name === 'heckler_store_errors_total').reduce((n, x) => n + x.value, 0);
    const before = errors(await scrape());
    await redis.halt();
    try {
      const down = await waitFor(
        async () => {
          const response = await fetch(`${base}/readyz`);
          return response.status === 503 && (await response.text());
        },
        { timeoutMs: 30_000, what: '/readyz to fail' },
      );
      expect(down).toMatch(/^not ready: store\n/);
      expect(down).toContain('store: failing');
      expect(down).toContain('chat: ok');
      // The endpoint says which check failed, never the driver's words (they may hold the URL).
      expect(down).not.toContain('127.0.0.1');
      // Process up: health does not depend on the store.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      // A scrape still answers with the counters; the gauges read from the store have no sample.
      const during = parseExposition(await (await fetch(`${base}/metrics`)).text());
      expect(during.some((x) => x.name === 'heckler_commands_total')).toBe(true);
      expect(during.some((x) => x.name === 'heckler_locks_held')).toBe(false);
    } finally {
      await redis.start();
    }
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, {
      timeoutMs: 30_000,
      what: '/readyz to pass again',
    });
    expect(errors(await scrape()) - before).toBeGreaterThan(0);
  });
});

/** A raw request, for methods and sizes fetch will not send. */
const raw = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });

describe('hostile requests to the operations endpoints', { timeout: 120_000 }, () => {
  it.each([
    ['POST with a body', 'POST', '/metrics', 'x'.repeat(10_000), 405],
    ['PUT', 'PUT', '/readyz', '', 405],
    ['DELETE', 'DELETE', '/healthz', undefined, 405],
    ['a query string', 'GET', `/metrics?${'a=1&'.repeat(1_000)}`, undefined, 200],
    ['a path beside', 'GET', '/metrics/../metrics/x', undefined, 404],
    ['HEAD', 'HEAD', '/healthz', undefined, 200],
  ])('%s', async (_, method, path, body, status) => {
    const answer = await raw(method, path, body);
    expect(answer.status).toBe(status);
    expect(answer.text).not.toContain(TOKEN);
    expect(answer.text).not.toContain(TEST_SIGNING_SECRET);
    expect(answer.text).not.toContain(redis.url);
  });

  it('refuses a query string over the header limit, and keeps serving', async () => {
    const answer = await raw('GET', `/metrics?${'b'.repeat(40_000)}`).catch(() => ({ status: 0, text: '' }));
    expect([0, 431]).toContain(answer.status);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('answers fifty scrapes at once, all whole', async () => {
    const bodies = await Promise.all(
      Array.from({ length: 50 }, () => fetch(`${base}/metrics`).then((r) => r.text())),
    );
    for (const body of bodies) expect(parseExposition(body).length).toBeGreaterThan(10);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('a POST to the Slack path still needs a signature (the routes did not open a way around the gate)', async () => {
    const answer = await raw('POST', '/slack/events', 'command=/heckler&text=help', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(answer.status).toBe(401);
  });
});
