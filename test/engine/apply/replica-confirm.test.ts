import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../../src/compose/app.js';
import type { ComposedFleet } from '../../../src/compose/fleet.js';
import type { Config } from '../../../src/config/schema.js';
import type { Message } from '../../../src/engine/ports/index.js';
import { reviewStatus } from '../../../src/engine/review/records.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { RecordingChat } from '../../fakes/recording-chat.js';
import { testConfig } from '../../support/config.js';
import { captureLogger } from '../../support/logger.js';
import { waitFor } from '../../support/process.js';
import { applyChat } from './chat-view.js';
import { createLocalFleet, type LocalFleet } from './local-fleet.js';

/**
 * Two bots composed in this process, each with its own Redis client on one key prefix: all they
 * share is the store, as two replicas behind a load balancer. A Confirm delivered to both starts
 * one apply; a noop on the other bot waits for the apply's run on the node (the node run lock).
 */
const CHANNEL = 'CREPLICA';
const redisUrl = inject('redisUrl');
let local: LocalFleet;
let config: Config;
const storages: Storage[] = [];
const opened: HecklerApp[] = [];
const bots: Array<Awaited<ReturnType<typeof startBot>>> = [];

const startBot = async (storage: Storage, replica: string) => {
  const chat = new RecordingChat();
  const captured = captureLogger();
  const app = await composeApp(config, {
    chat,
    storage,
    logger: captured.logger,
    scheduler: false,
    version: 'test',
    replica,
  });
  if (!app.fleet) throw new Error('no fleet');
  opened.push(app);
  const { fleet: composed, dispatcher } = app;
  const ask = async (user: string, line: string) => {
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: line,
      user,
      channel: CHANNEL,
      respond: async (m) => void answers.push(m),
    });
    return answers.map((m) => m.text).join('\n');
  };
  return { composed, chat, ask, log: captured.text, view: () => applyChat(chat.events, CHANNEL) };
};

const node = async (composed: ComposedFleet, name: string) => {
  const [spec] = await composed.service.select({ nodes: [name] });
  if (!spec) throw new Error(`no ${name}`);
  return spec;
};

beforeAll(async () => {
  local = await createLocalFleet({ nodes: 5 });
  config = testConfig({
    ...local.config,
    users: { U0APPLIER: 'abe', U0BOB: 'bob' },
    roles: { appliers: ['U0APPLIER', 'U0BOB'] },
    storage: { dataDir: join(local.dir, 'data') },
    apply: { channel: CHANNEL, concurrency: 1, lockTtl: '30s' },
  });
  const keyPrefix = `t${randomUUID().slice(0, 8)}`;
  for (const replica of ['one', 'two']) {
    const storage = await createStorage({ redisUrl, keyPrefix, dataDir: join(local.dir, 'unused') });
    storages.push(storage);
    bots.push(await startBot(storage, replica));
  }
  const [one] = bots;
  if (!one) throw new Error('no bot');
  const runs = await one.composed.service.runSha(
    local.repo.commits.motdChange,
    one.composed.service.nodes(),
    'apply',
    'U0APPLIER',
  );
  if (runs.some((run) => !run.reached)) throw new Error(`could not apply v1: ${JSON.stringify(runs)}`);
}, 120_000);

afterAll(async () => {
  for (const app of opened) await app.stop({ graceMs: 500 });
  await Promise.all(storages.map((storage) => storage.close()));
  local?.remove();
});

describe('two bots on one Redis', { timeout: 120_000 }, () => {
  it('a Confirm delivered to both starts one apply; the other answers that it is already confirmed', async () => {
    const [one, two] = bots as [(typeof bots)[0], (typeof bots)[0]];
    local.reset();
    const record = await one.composed.reviews.review(local.repo.commits.hotfix);
    expect(reviewStatus(record)).toBe('auto_approved');
    await one.ask('U0APPLIER', 'apply v1.1 --nodes n01');
    const id = one.view().lastPlan();
    const results = await Promise.all([
      one.composed.applies.confirm(id, 'U0APPLIER'),
      two.composed.applies.confirm(id, 'U0BOB'),
    ]);
    expect(results.map((r) => r.result).sort()).toEqual(['already', 'started']);
    const winner = results[0]?.result === 'started' ? one : two;
    const loser = winner === one ? two : one;
    expect(loser.composed.applies.running()).toEqual([]);
    expect(winner.composed.applies.running()).toEqual([id]);
    await winner.composed.applies.idle();
    const done = await loser.composed.applies.get(id);
    expect(done).toMatchObject({ status: 'passed', confirmedBy: winner === one ? 'U0APPLIER' : 'U0BOB' });
    expect(done?.skipped).toEqual([]);
    expect(done?.stages.flatMap((s) => s.nodes.map((n) => `${n.node}:${n.status}`))).toEqual(['n01:ok']);
    expect(await storages[0]?.locks.list()).toEqual([]);
  });

  it('a noop on one bot waits while the other applies the node, then runs on the applied code', async () => {
    const [one, two] = bots as [(typeof bots)[0], (typeof bots)[0]];
    local.reset();
    await one.composed.reviews.review(local.repo.commits.hotfix);
    await one.ask('U0APPLIER', 'apply v1.1 --nodes n02');
    const id = one.view().lastPlan();
    local.hold('n02');
    expect(await one.composed.applies.confirm(id, 'U0APPLIER')).toMatchObject({ result: 'started' });
    await waitFor(() => local.started('n02'), { what: 'the apply to start on n02' });
    const spec = await node(two.composed, 'n02');
    const noop = two.composed.service
      .runOne(local.repo.commits.hotfix, spec, 'noop', 'U0BOB')
      .then((run) => ({ run, applyFinished: local.finished('n02') }));
    // The other bot found the node's run lock held by this apply's run, and waits.
    await waitFor(() => two.log().includes('waiting for another bot’s run on the node'), {
      what: 'the noop to wait for the run lock',
    });
    expect(await storages[1]?.locks.inspect('run:n02')).toMatchObject({
      reason: expect.stringMatching(/^apply of /),
    });
    local.release('n02');
    const { run, applyFinished } = await noop;
    expect(applyFinished).toBe(true);
    expect(run.reached).toBe(true);
    await one.composed.applies.idle();
    expect(await storages[0]?.locks.list()).toEqual([]);
  });

  it("the other bot's reconcile (a restart, or the periodic one) leaves a running apply alone while its locks are renewed", async () => {
    const [one, two] = bots as [(typeof bots)[0], (typeof bots)[0]];
    local.reset();
    await one.composed.reviews.review(local.repo.commits.hotfix);
    await one.ask('U0APPLIER', 'apply v1.1 --nodes n03');
    const id = one.view().lastPlan();
    local.hold('n03');
    expect(await one.composed.applies.confirm(id, 'U0APPLIER')).toMatchObject({ result: 'started' });
    await waitFor(() => local.started('n03'), { what: 'the apply to start on n03' });
    expect(await two.composed.applies.reconcile()).toEqual({ interrupted: [], expired: [] });
    expect(await two.composed.applies.get(id)).toMatchObject({ status: 'running', runner: 'one' });
    expect(JSON.stringify(two.chat.events)).not.toContain('interrupted');
    local.release('n03');
    await one.composed.applies.idle();
    expect(await two.composed.applies.get(id)).toMatchObject({ status: 'passed' });
  });

  it('a Cancel that lands on the other bot stops the apply between nodes where it runs', async () => {
    const [one, two] = bots as [(typeof bots)[0], (typeof bots)[0]];
    local.reset();
    await one.composed.reviews.review(local.repo.commits.hotfix);
    await one.ask('U0APPLIER', 'apply v1.1 --nodes n04,n05');
    const id = one.view().lastPlan();
    local.hold('n04');
    expect(await one.composed.applies.confirm(id, 'U0APPLIER')).toMatchObject({ result: 'started' });
    await waitFor(() => local.started('n04'), { what: 'the apply to start on n04' });
    expect(await two.composed.applies.cancel(id, 'U0APPLIER', false)).toMatchObject({ result: 'stopping' });
    await waitFor(async () => (await one.composed.applies.get(id))?.cancelledBy === 'U0APPLIER', {
      what: 'the running bot to take the cancel passed on',
    });
    local.release('n04');
    await one.composed.applies.idle();
    const done = await two.composed.applies.get(id);
    expect(done).toMatchObject({ status: 'cancelled', cancelledBy: 'U0APPLIER' });
    expect(done?.stages.flatMap((s) => s.nodes.map((n) => `${n.node}:${n.status}`))).toEqual([
      'n04:ok',
      'n05:not_run',
    ]);
    expect(local.started('n05')).toBe(false);
  });
});
