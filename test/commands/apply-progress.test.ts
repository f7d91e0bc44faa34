import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackChat } from '../../src/bot/slack/chat.js';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { ComposedFleet } from '../../src/compose/fleet.js';
import type { Message } from '../../src/engine/ports/index.js';
import { reviewStatus } from '../../src/engine/review/records.js';
import { createLocalFleet, type LocalFleet } from '../engine/apply/local-fleet.js';
import { FakeSlackApi, type SlackCall } from '../fakes/slack-api.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';

/**
 * The status message of a 50-node apply, through the real Slack Web API client against the fake
 * Slack server: edited in place at most once a second however fast nodes finish. Nodes run on the
 * local transport with a stand-in puppet that takes 0.3 s per apply (test/engine/apply/local-fleet.ts).
 */
const TOKEN = 'xoxb-test-token';
const CHANNEL = 'C0APPLY';
let local: LocalFleet;
let slack: FakeSlackApi;
let app: HecklerApp;
let composed: ComposedFleet;
let ask: (user: string, line: string) => Promise<string>;

beforeAll(async () => {
  local = await createLocalFleet({
    nodes: 50,
    sets: { canaries: { nodes: ['n01', 'n02'] } },
    applyOrder: ['canaries', 'all'],
  });
  slack = await FakeSlackApi.start({ tokens: [TOKEN] });
  chat = new TimedSlackChat(
    new webApi.WebClient(TOKEN, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      logLevel: webApi.LogLevel.ERROR,
    }),
  );
  const config = testConfig({
    ...local.config,
    apply: { channel: CHANNEL, concurrency: 8 },
    storage: { dataDir: join(local.dir, 'data'), keyPrefix: 'progress' },
  });
  const { logger } = captureLogger([], 'warn');
  // The Slack Chat port stands alone (a headless surface): the test dispatches, the fake Slack sees the edits.
  app = await composeApp(config, { chat, logger, scheduler: false, version: 'test' });
  if (!app.fleet) throw new Error('no fleet');
  composed = app.fleet;
  const { dispatcher } = app;
  ask = async (user, line) => {
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: line,
      user,
      channel: CHANNEL,
      respond: async (m) => void answers.push(m),
    });
    return answers.map((m) => m.text).join('\n');
  };
  const nodes = composed.service.nodes();
  const runs = await composed.service.runSha(local.repo.commits.motdChange, nodes, 'apply', 'U0ADMIN');
  if (runs.some((run) => !run.reached)) throw new Error('could not apply v1 to the local fleet');
  // The stand-in shows every commit the same: the hotfix's delta is empty, so it is approved automatically.
  expect(reviewStatus(await composed.reviews.review(local.repo.commits.hotfix))).toBe('auto_approved');
}, 180_000);

afterAll(async () => {
  await app?.stop({ graceMs: 1_000 });
  await slack?.stop();
  local?.remove();
});

/** The Slack chat, noting when the bot sends each edit (the server's arrival times jitter under load). */
class TimedSlackChat extends SlackChat {
  readonly edits: number[] = [];
  override async update(...args: Parameters<SlackChat['update']>): Promise<void> {
    this.edits.push(Date.now());
    return super.update(...args);
  }
}
let chat: TimedSlackChat;

const sectionText = (call: SlackCall) =>
  ((call.args.blocks ?? []) as { type: string; text?: { text: string } }[])
    .flatMap((block) => (block.text ? [block.text.text] : []))
    .join('\n');

describe('the status message of a 50-node apply', () => {
  it('is edited at most once a second, and the last edit shows the whole rollout', async () => {
    await ask('U0APPLIER', 'apply v1.1');
    local.sleep(0.3);
    const started = Date.now();
    expect(await ask('U0APPLIER', 'confirm 1')).toMatch(/confirmed: applying v1.1 to 50 nodes/);
    await composed.applies.idle();
    const elapsed = Date.now() - started;
    local.sleep(undefined);

    // What the fake Slack server recorded: every edit, all of the one status message.
    const updates = slack.callsTo('chat.update');
    expect(updates.length).toBe(chat.edits.length);
    expect(new Set(updates.map((call) => call.args.ts)).size).toBe(1);
    const gaps = chat.edits.slice(1).map((at, i) => at - (chat.edits[i] ?? 0));
    // Nodes finished every few milliseconds for several seconds; the message moved with them, calmly.
    expect(elapsed).toBeGreaterThan(2_500);
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / 1_000) + 1);
    // Timers may fire a millisecond early.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(995);
    const last = updates.at(-1);
    expect(last && sectionText(last)).toContain('apply v1.1 #1 — canaries 2/2 ✓, all 48/48 ✓');
    expect(last?.args.text).toBe('apply v1.1 #1 — canaries 2/2 ✓, all 48/48 ✓ (passed)');

    const posts = slack.callsTo('chat.postMessage');
    const replies = posts
      .filter((call) => call.args.thread_ts === last?.args.ts)
      .map((call) => call.args.text);
    expect(replies).toEqual([
      expect.stringMatching(/^:white_check_mark: \*canaries\* done: canaries 2\/2 ✓ in/),
      expect.stringMatching(/^:white_check_mark: \*all\* done: all 48\/48 ✓ in/),
    ]);
    expect(posts.at(-1)?.args).toMatchObject({
      channel: CHANNEL,
      text: expect.stringMatching(
        /^:white_check_mark: apply v1.1 #1 passed: 50 of 50 nodes applied — canaries 2\/2 ✓ in \S+, all 48\/48 ✓ in \S+; \S+ in all$/,
      ),
    });
  }, 120_000);
});
