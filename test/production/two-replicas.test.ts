import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { composeFleet } from '../../src/compose/fleet.js';
import type { ApplyRecord } from '../../src/engine/apply/records.js';
import { systemClock } from '../../src/engine/ports/index.js';
import { splitRunOutput } from '../../src/engine/puppet/index.js';
import type { ReviewRecord } from '../../src/engine/review/records.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { createLocalFleet, type LocalFleet } from '../engine/apply/local-fleet.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { FakeSlackApi, type SlackCall } from '../fakes/slack-api.js';
import { type BotMain, configDir, startBotMain } from '../support/bot-main.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { waitFor } from '../support/process.js';
import {
  blockActionBody,
  type SlackBody,
  sendSigned,
  slashCommandBody,
  TEST_SIGNING_SECRET,
} from '../support/slack-signing.js';

/**
 * Issue 14 §1: two real bot processes (`src/main.ts`, Slack HTTP mode, each its own port) on one
 * real Redis, one fleet (local nodes with a stand-in puppet that a test can hold on a node), one
 * fake Slack. Clicks are delivered to both at once, as a load balancer retrying or two people
 * clicking would; what counts is what ends up in the shared store.
 */
const TOKEN = 'xoxb-test-token';
const FIXTURES = new URL('../fixtures/puppet/reduced/', import.meta.url);
const redisUrl = inject('redisUrl');
const keyPrefix = `replicas${randomUUID().slice(0, 6)}`;
const APPROVERS = ['U0BOB', 'U0CAROL'];
const APPLIERS = ['U0APPLIER', 'U0DAVE'];

let fake: FakeSlackApi;
let local: LocalFleet;
let store: Storage;
const bots: Record<'a' | 'b', { main: BotMain; url: string }> = {} as never;
const dirs: Array<{ remove(): void }> = [];
let responses = 0;

/** The stand-in puppet replays `fixture` from now on (its stdout and reduced report). */
const replay = (fixture: string) => {
  const run = JSON.parse(readFileSync(new URL(`${fixture}.run.json`, FIXTURES), 'utf8')) as {
    stdout: string;
    nonce: string;
  };
  writeFileSync(join(local.standIn, 'stdout'), splitRunOutput(run.stdout, run.nonce).stdout);
  writeFileSync(
    join(local.standIn, 'report.json'),
    readFileSync(new URL(`${fixture}.json`, FIXTURES), 'utf8').trim(),
  );
};

const startBot = async (name: 'a' | 'b') => {
  const files = configDir(
    `replica-${name}`,
    stringify({
      ...local.config,
      repo: { ...(local.config.repo as object), mirrorDir: join(local.dir, `mirror-${name}`) },
      slack: { host: '127.0.0.1', port: 0, apiUrl: fake.apiUrl },
      chat: { channel: 'CREVIEW' },
      users: { U0ADMIN: 'ada', U0BOB: 'bob', U0CAROL: 'carol', U0APPLIER: 'abe', U0DAVE: 'dave' },
      roles: { admins: ['U0ADMIN'], approvers: APPROVERS, appliers: APPLIERS },
      apply: { channel: 'CAPPLY', lockTtl: '4s', concurrency: 2 },
      storage: { dataDir: join(local.dir, `data-${name}`), keyPrefix },
      limits: { expensive: { count: 1000 } },
      log: { level: 'debug' },
    }),
  );
  dirs.push(files);
  const main = startBotMain({
    args: ['--config', files.path],
    env: { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET, REDIS_URL: redisUrl },
  });
  const { port } = JSON.parse(await main.line(/heckler is listening/)) as { port: number };
  bots[name] = { main, url: `http://127.0.0.1:${port}/slack/events` };
};

const send = async (bot: 'a' | 'b', body: SlackBody) => {
  const response = await sendSigned(bots[bot].url, body);
  expect(response.status).toBe(200);
};

/** A slash command to one bot; its private answers (if any) go to the returned response id. */
const slash = async (bot: 'a' | 'b', user: string, text: string) => {
  const id = `R${++responses}`;
  await send(bot, slashCommandBody({ user, text, responseUrl: fake.responseUrl(id) }));
  return id;
};

/** A review in the shared store, once the noop of `sha` has stored it. */
const reviewed = (sha: string, what: string) =>
  waitFor(() => store.store<ReviewRecord>('reviews').get(sha), { timeoutMs: 120_000, what });

/** The newest button whose command starts with `prefix`, on any message the bots posted or edited. */
const button = (prefix: string) => {
  const found: Array<{ action_id: string; value: string }> = [];
  const collect = (call: SlackCall) => {
    for (const block of (call.args.blocks ?? []) as {
      type: string;
      elements?: { value?: string; action_id: string }[];
    }[])
      for (const element of block.type === 'actions' ? (block.elements ?? []) : [])
        if (element.value?.startsWith(prefix))
          found.push({ action_id: element.action_id, value: element.value });
  };
  for (const call of fake.calls)
    if (call.method === 'chat.postMessage' || call.method === 'chat.update') collect(call);
  return found.at(-1);
};

/** One click, a delivery of its own, answered through its own response_url. */
const click = (user: string, pressed: { action_id: string; value: string }) => {
  const id = `R${++responses}`;
  return {
    id,
    body: blockActionBody({ user, button: pressed, responseUrl: fake.responseUrl(id), channel: 'CAPPLY' }),
  };
};
const answerOf = (id: string) =>
  fake
    .responsesTo(id)
    .map((post) => String(post.body.text ?? ''))
    .join('\n');

const logged = (bot: 'a' | 'b', msg: string) =>
  bots[bot].main.stdout.some((line) => line.includes(`"msg":"${msg}"`));

beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  local = await createLocalFleet({ nodes: 2 });
  store = await createStorage({ redisUrl, keyPrefix, dataDir: join(local.dir, 'unused') });
  // v1 on both nodes, applied by a bot composed here for the purpose (the nodes record it themselves).
  const setup = await composeFleet({
    config: testConfig({ ...local.config, storage: { dataDir: join(local.dir, 'setup') } }),
    storage: store,
    logger: captureLogger().logger,
    clock: systemClock,
    chat: new RecordingChat(),
  });
  if (!setup) throw new Error('no fleet');
  const runs = await setup.service.runSha(
    local.repo.commits.motdChange,
    setup.service.nodes(),
    'apply',
    'U0ADMIN',
  );
  await setup.applies.shutdown(0);
  await setup.close();
  if (runs.some((run) => !run.reached)) throw new Error(`could not apply v1: ${JSON.stringify(runs)}`);
  await Promise.all([startBot('a'), startBot('b')]);
}, 180_000);

afterAll(async () => {
  for (const bot of Object.values(bots)) await bot.main.stop();
  await store?.close();
  await fake?.stop();
  for (const dir of dirs) dir.remove();
  local?.remove();
});

describe('two bot processes on one Redis', { timeout: 240_000 }, () => {
  const sha = () => local.repo.commits.hotfix;
  const review = () => store.store<ReviewRecord>('reviews').get(sha());

  it('approving one commit on both at once records one decision', async () => {
    // The base revision nooped with nothing to change, the commit with a file to change: a review to approve.
    replay('noop-unchanged');
    await slash('a', 'U0BOB', 'noop v1');
    await reviewed(local.repo.commits.motdChange, 'the review of v1');
    replay('noop-v2-node1');
    await slash('a', 'U0BOB', 'noop v1.1');
    await waitFor(async () => (await review())?.deltaHash && button(`approve ${sha()}`), {
      timeoutMs: 60_000,
      what: 'the review message with its Approve button',
    });
    const approve = button(`approve ${sha()}`);
    if (!approve) throw new Error('no approve button');
    expect((await review())?.decisions).toEqual([]);
    // The same delivery to both (Slack retrying against the other replica), and two people at once.
    const same = click('U0BOB', approve);
    const carol = click('U0CAROL', approve);
    await Promise.all([send('a', same.body), send('b', same.body), send('b', carol.body)]);
    await waitFor(async () => ((await review())?.decisions.length ?? 0) > 0, { what: 'a decision' });
    await waitFor(() => answerOf(same.id) !== '' && answerOf(carol.id) !== '', {
      timeoutMs: 30_000,
      what: 'both answers',
    });
    const decisions = (await review())?.decisions ?? [];
    expect(decisions).toHaveLength(1);
    const [winner, loser] = decisions[0]?.user === 'U0BOB' ? [same, carol] : [carol, same];
    expect(answerOf(loser.id)).toMatch(/already approved by/);
    expect(answerOf(winner.id)).not.toMatch(/already/);
    expect(fake.responsesTo(same.id)).toHaveLength(1);
  });

  it('a Confirm delivered to both starts one apply', async () => {
    local.reset();
    await slash('b', 'U0APPLIER', 'apply v1.1 --nodes n01');
    await waitFor(() => button('confirm '), { timeoutMs: 60_000, what: 'the plan with its Confirm button' });
    const confirm = button('confirm ');
    if (!confirm) throw new Error('no confirm button');
    const id = Number(confirm.value.split(' ')[1]);
    local.hold('n01');
    const abe = click('U0APPLIER', confirm);
    const dave = click('U0DAVE', confirm);
    await Promise.all([send('a', abe.body), send('b', dave.body)]);
    await waitFor(() => local.started('n01'), { what: 'the apply on n01' });
    await waitFor(() => answerOf(abe.id) !== '' && answerOf(dave.id) !== '', {
      timeoutMs: 30_000,
      what: 'both answers',
    });
    expect([answerOf(abe.id), answerOf(dave.id)].filter((text) => /already/.test(text))).toHaveLength(1);
    const started = (['a', 'b'] as const).filter((bot) => logged(bot, 'apply started'));
    expect(started).toHaveLength(1);
    const applier = started[0] as 'a' | 'b';
    const other = applier === 'a' ? 'b' : 'a';

    // A noop of a commit not nooped yet, on the other bot, while the apply holds n01: it waits
    // for the apply's run there instead of moving n01's checkout under it.
    await slash(other, 'U0BOB', 'noop v2');
    await waitFor(() => logged(other, 'waiting for another bot’s run on the node'), {
      timeoutMs: 60_000,
      what: 'the noop to wait for the run lock of n01',
    });
    expect(await store.locks.inspect('run:n01')).toMatchObject({
      reason: expect.stringMatching(/^apply of /),
    });
    expect(local.finished('n01')).toBe(false);
    local.release('n01');
    await reviewed(local.repo.tags.v2.commit, 'the noop of v2 to finish on every node');
    await waitFor(
      async () => (await store.store<ApplyRecord>('applies').get(String(id)))?.status === 'passed',
      {
        timeoutMs: 60_000,
        what: `apply #${id} to pass`,
      },
    );
    expect(
      (await store.store<ApplyRecord>('applies').get(String(id)))?.stages.flatMap((s) => s.nodes),
    ).toEqual([expect.objectContaining({ node: 'n01', status: 'ok' })]);
  });

  it('killing the bot that applies leaves the other serving, and no lock outlives its ttl', async () => {
    local.reset();
    // n01 moved to v1.1 since the review: it is re-nooped for the fleet as it is (the delta on n02,
    // and so Bob's approval, stand).
    const previous = (await review())?.computedAt ?? 0;
    await slash('b', 'U0BOB', 'noop v1.1');
    await waitFor(async () => ((await review())?.computedAt ?? 0) > previous, {
      timeoutMs: 60_000,
      what: 'a re-noop',
    });
    const before = button('confirm ')?.value;
    const planned = await slash('a', 'U0APPLIER', 'apply v1.1 --nodes n02');
    await waitFor(() => button('confirm ') && button('confirm ')?.value !== before, {
      timeoutMs: 60_000,
      what: `the new plan with its Confirm button (answered ${answerOf(planned)})`,
    });
    const confirm = button('confirm ');
    if (!confirm) throw new Error('no confirm button');
    local.hold('n02');
    const abe = click('U0APPLIER', confirm);
    await send('a', abe.body);
    await waitFor(() => local.started('n02'), { what: 'the apply on n02' });
    // The scheduler's lease (leader:scheduler) is another bot's business: the node and run locks are the apply's.
    const nodeAndRun = async () => (await store.locks.list()).filter((lock) => /^(node|run):/.test(lock.key));
    expect((await nodeAndRun()).map((lock) => lock.key).sort()).toEqual(['node:n02', 'run:n02']);
    bots.a.main.child.kill('SIGKILL');
    await bots.a.main.exited;
    const killedAt = Date.now();
    // The other still answers, while the dead bot's locks run out on their own: none is set to
    // last past one ttl (4 s for the node lock, 30 s for the run lock) from its last renewal.
    const whoami = await slash('b', 'U0NOBODY', 'whoami');
    await waitFor(() => answerOf(whoami).includes('U0NOBODY'), { what: 'the surviving bot to answer' });
    for (const lock of await nodeAndRun())
      expect(lock.expiresAt).toBeLessThanOrEqual(
        killedAt + (lock.key.startsWith('run:') ? 30_000 : 4_000) + 1_000,
      );
    await waitFor(async () => (await nodeAndRun()).length === 0, {
      timeoutMs: 45_000,
      what: 'the dead bot’s locks to expire',
    });
    local.release('n02');
  });
});
