import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackChat } from '../../src/bot/slack/chat.js';
import type { MessageRef } from '../../src/engine/ports/chat.js';
import type { Message } from '../../src/engine/ports/message.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { type SlackHarness, startSlackHarness } from '../support/slack-harness.js';
import { type ManualTime, manualTime } from '../support/slack-time.js';

/**
 * chat.update under Slack's rate limits, through the real WebClient against the fake Slack: one
 * budget for all updates, Retry-After honoured, updates that wait coalesced, posts never held up.
 */
const TOKEN = 'xoxb-test-token';
let fake: FakeSlackApi;
let time: ManualTime;
let chat: SlackChat;

const text = (t: string): Message => ({ text: t, blocks: [{ kind: 'section', text: t }] });
/** When each chat.update reached the fake Slack, in the chat's time. */
let updateTimes: number[] = [];

beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [TOKEN] });
});

beforeEach(() => {
  fake.calls.length = 0;
  time = manualTime();
  updateTimes = [];
  const client = new webApi.WebClient(TOKEN, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: webApi.LogLevel.ERROR,
  });
  const timed = client.chat.update.bind(client.chat);
  client.chat.update = (args) => {
    updateTimes.push(time.now());
    return timed(args);
  };
  chat = new SlackChat(client, { scheduler: time.scheduler });
});

afterAll(async () => {
  await fake?.stop();
});

const updatesOf = (ref: MessageRef) =>
  fake
    .callsTo('chat.update')
    .filter((call) => call.args.ts === ref.ts)
    .map((call) => call.args.text);

describe('chat.update under a 429', () => {
  it('waits for Retry-After, coalesces what came meanwhile, and writes the final state', async () => {
    const ref = await chat.post('C0BUILDS', text('build #1: queued'));
    fake.rateLimitNext('chat.update', 1, 2);
    const first = chat.update(ref, text('build #1: stage 1'));
    await time.untilWaiting();
    const second = chat.update(ref, text('build #1: stage 2'));
    const last = chat.update(ref, text('build #1: passed'));
    await time.drive(Promise.all([first, second, last]));
    // Tried once with its own state, then only the latest: the 429 cost no state and no order.
    expect(updatesOf(ref)).toEqual(['build #1: stage 1', 'build #1: passed', 'build #1: passed']);
    expect(updateTimes[1]! - updateTimes[0]!).toBeGreaterThanOrEqual(1_000);
    expect(updateTimes[2]! - updateTimes[1]!).toBeGreaterThanOrEqual(1_000);
  });

  it('holds up only updates: a post goes out while an update waits out its Retry-After', async () => {
    const progress = await chat.post('C0BUILDS', text('build #2: queued'));
    fake.rateLimitNext('chat.update', 30);
    let updated = false;
    const update = chat.update(progress, text('build #2: passed')).then(() => (updated = true));
    await time.untilWaiting();
    const review = await chat.post('C0REVIEWS', text('review of abc123'));
    expect(review.channel).toBe('C0REVIEWS');
    expect(updated).toBe(false);
    await time.drive(update);
    expect(updatesOf(progress).at(-1)).toBe('build #2: passed');
  });
});

describe('the update budget', () => {
  it('spends at most a burst of 10 then 50 a minute on a flood of edits, and every message ends in its final state', async () => {
    const refs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => chat.post('C0BUILDS', text(`build #${i}: queued`))),
    );
    const edits: Promise<void>[] = [];
    for (let step = 1; step <= 10; step += 1) {
      for (const [i, ref] of refs.entries())
        edits.push(chat.update(ref, text(`build #${i}: step ${step}/10`)));
    }
    const review = await chat.post('C0REVIEWS', text('review of def456'));
    expect(review.ts).toBeDefined();
    await time.untilWaiting();
    expect(fake.callsTo('chat.update').length).toBeLessThanOrEqual(10);

    await time.drive(Promise.all(edits));
    for (const [i, ref] of refs.entries()) expect(updatesOf(ref).at(-1)).toBe(`build #${i}: step 10/10`);
    // 200 edits asked for at once: each message waited for its turn and was written once, in its latest state.
    expect(updateTimes.length).toBe(20);
    const start = updateTimes[0]!;
    for (const [n, at] of updateTimes.entries()) {
      if (n >= 10) expect(at - start).toBeGreaterThanOrEqual((n - 10 + 1) * 1_200 - 1);
    }
  });
});

describe('the adapter', () => {
  let slack: SlackHarness;
  let adapterTime: ManualTime;

  beforeAll(async () => {
    adapterTime = manualTime();
    slack = await startSlackHarness('slack-updates-test', { chat: { scheduler: adapterTime.scheduler } });
  });

  afterAll(async () => {
    await slack?.stop();
  });

  it('makes its chat honour Retry-After itself, so a rate-limited update does not hold up posts', async () => {
    const ref = await slack.adapter.chat.post('C0APPLY', text('apply #1: 0/3'));
    slack.fake.rateLimitNext('chat.update', 20);
    const update = slack.adapter.chat.update(ref, text('apply #1: 3/3'));
    await adapterTime.untilWaiting();
    expect(adapterTime.pending()).toContain(20_000);
    await slack.adapter.chat.post('C0REVIEWS', text('review of 0a1b2c'));
    await adapterTime.drive(update);
    const updates = slack.fake.callsTo('chat.update').map((call) => call.args.text);
    expect(updates).toEqual(['apply #1: 3/3', 'apply #1: 3/3']);
  });
});
