import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SlackBlock } from '../../src/bot/render/blocks.js';
import { SlackApiError, SlackChat } from '../../src/bot/slack/chat.js';
import type { Block, Message } from '../../src/engine/ports/message.js';
import { FakeSlackApi, type SlackCall } from '../fakes/slack-api.js';
import { manualTime } from '../support/slack-time.js';

const TOKEN = 'xoxb-test-token';
let fake: FakeSlackApi;
let chat: SlackChat;

const client = (options: webApi.WebClientOptions = {}, token = TOKEN) =>
  new webApi.WebClient(token, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: webApi.LogLevel.ERROR,
    ...options,
  });

const blocksOf = (call: SlackCall) => call.args.blocks as SlackBlock[];
const textOf = (calls: SlackCall[]) =>
  calls
    .flatMap(blocksOf)
    .flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []))
    .join('\n');

beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [TOKEN] });
});

beforeEach(() => {
  fake.calls.length = 0;
  chat = new SlackChat(client());
});

afterAll(async () => {
  await fake?.stop();
});

describe('SlackChat', () => {
  it('posts a message and returns the channel id and ts Slack answered', async () => {
    const ref = await chat.post('heckler', {
      text: 'hello',
      blocks: [{ kind: 'section', text: 'hello *world*' }],
    });
    expect(ref).toEqual({ channel: 'CHECKLER', ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    const [call] = fake.callsTo('chat.postMessage');
    expect(call?.token).toBe(TOKEN);
    expect(call?.args).toMatchObject({
      channel: 'heckler',
      text: 'hello',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello *world*' } }],
    });
  });

  it('links to a posted message with chat.getPermalink, and says when Slack has no such message', async () => {
    const ref = await chat.post('heckler', { text: 'hello', blocks: [] });
    expect(await chat.permalink(ref)).toBe(
      `https://heckler-test.slack.com/archives/${ref.channel}/p${ref.ts.replace('.', '')}`,
    );
    expect(fake.callsTo('chat.getPermalink').at(-1)?.args).toMatchObject({
      channel: ref.channel,
      message_ts: ref.ts,
    });
    await expect(chat.permalink({ channel: ref.channel, ts: '1.000001' })).rejects.toThrow(
      /message_not_found/,
    );
  });

  it('posts 80 sections as one message of at most 50 blocks plus thread replies, losing nothing', async () => {
    const lines = Array.from({ length: 80 }, (_, i) => `resource change ${i}`);
    const blocks: Block[] = lines.map((text) => ({ kind: 'section', text }));
    const ref = await chat.post('C0OPS', { text: 'big', blocks });
    const [main, ...replies] = fake.callsTo('chat.postMessage');
    expect(blocksOf(main!).length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(blocksOf(main!).at(-1))).toContain('continued in thread (1 more)');
    expect(replies.length).toBe(1);
    for (const reply of replies) expect(reply.args.thread_ts).toBe(ref.ts);
    const all = textOf([main!, ...replies]);
    for (const line of lines) expect(all).toContain(line);
  });

  it('splits a 10,000-character code block into sections of at most 3,000 characters', async () => {
    const lines = Array.from(
      { length: 250 },
      (_, i) => `+ line ${String(i).padStart(3, '0')} ${'#'.repeat(30)}`,
    );
    await chat.post('C0OPS', { text: 'diff', blocks: [{ kind: 'code', text: lines.join('\n') }] });
    const calls = fake.callsTo('chat.postMessage');
    const sections = calls.flatMap(blocksOf).filter((b) => b.type === 'section');
    expect(sections.length).toBeGreaterThanOrEqual(4);
    for (const s of sections) expect(s.type === 'section' && s.text!.text.length).toBeLessThanOrEqual(3000);
    for (const call of calls) expect(blocksOf(call).length).toBeLessThanOrEqual(50);
    const all = textOf(calls);
    for (const line of lines) expect(all).toContain(line);
  });

  it('updates a posted message, and posts what does not fit into its thread', async () => {
    const ref = await chat.post('C0OPS', { text: 'apply v2.1: 0/3', blocks: [] });
    const big: Message = {
      text: 'apply v2.1: 3/3',
      blocks: Array.from({ length: 55 }, () => ({ kind: 'divider' })),
    };
    await chat.update(ref, big);
    const [update] = fake.callsTo('chat.update');
    expect(update?.args).toMatchObject({ channel: ref.channel, ts: ref.ts, text: 'apply v2.1: 3/3' });
    expect(blocksOf(update!)).toHaveLength(50);
    const replies = fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === ref.ts);
    expect(replies.map((c) => blocksOf(c).length)).toEqual([6]);
  });

  it('replies in a thread and whispers ephemerally', async () => {
    const ref = await chat.post('C0OPS', { text: 'parent', blocks: [] });
    const reply = await chat.reply(ref, { text: 'stage 1 passed', blocks: [] });
    expect(reply.ts).not.toBe(ref.ts);
    expect(fake.callsTo('chat.postMessage').at(-1)?.args).toMatchObject({
      channel: ref.channel,
      thread_ts: ref.ts,
    });
    await chat.whisper('C0OPS', 'U0NOBODY', { text: 'only you', blocks: [] });
    expect(fake.callsTo('chat.postEphemeral')[0]?.args).toMatchObject({
      channel: 'C0OPS',
      user: 'U0NOBODY',
      text: 'only you',
    });
  });

  it('surfaces ok:false as an error naming the Slack error code', async () => {
    // not_in_channel and channel_not_found say to invite the bot: slack-not-in-channel.test.ts.
    fake.failNext('chat.postMessage', 'is_archived');
    const failure = chat.post('C0GONE', { text: 'x', blocks: [] });
    await expect(failure).rejects.toThrow(/chat\.postMessage failed: is_archived/);
    await expect(failure).rejects.toMatchObject({
      slackError: 'is_archived',
      method: 'chat.postMessage',
    });
    await expect(
      chat.update({ channel: 'C0OPS', ts: '1.000001' }, { text: 'x', blocks: [] }),
    ).rejects.toThrow('slack chat.update failed: message_not_found');
  });

  it('names invalid_auth when the token is wrong', async () => {
    const wrong = new SlackChat(client({}, 'xoxb-revoked'));
    const error = await wrong.post('C0OPS', { text: 'x', blocks: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackApiError);
    expect((error as SlackApiError).slackError).toBe('invalid_auth');
  });

  it('waits out a 429 for its Retry-After and tries again; past three tries it fails as ratelimited', async () => {
    const time = manualTime();
    const strict = new SlackChat(client({ rejectRateLimitedCalls: true }), { scheduler: time.scheduler });
    fake.rateLimitNext('chat.postMessage', 30);
    const posting = strict.post('C0OPS', { text: 'x', blocks: [] });
    await time.untilWaiting();
    expect(time.pending()).toEqual([30_000]);
    time.advance(30_000);
    expect(await posting).toMatchObject({ channel: 'C0OPS' });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(2);

    fake.rateLimitNext('chat.postMessage', 30, 4);
    const failing = strict.post('C0OPS', { text: 'x', blocks: [] });
    await expect(time.drive(failing)).rejects.toMatchObject({
      slackError: 'ratelimited',
      retryAfterMs: 30_000,
    });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(6);
  });
});

describe('the fake Slack API', () => {
  it('answers 429 with Retry-After, after which a retrying client gets through', async () => {
    fake.rateLimitNext('chat.postMessage', 1);
    const patient = client({ retryConfig: { retries: 1, factor: 1, minTimeout: 0, maxTimeout: 0 } });
    const result = await patient.chat.postMessage({ channel: 'C0OPS', text: 'eventually' });
    expect(result.ok).toBe(true);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(2);
  });

  it('speaks the files.uploadV2 protocol: upload URL, the upload itself, completion', async () => {
    const result = await client().filesUploadV2({
      channel_id: 'C0OPS',
      thread_ts: '1700000000.000100',
      filename: 'build-812.log',
      content: 'step 1\nstep 2\n',
      title: 'build 812',
    });
    expect(result.ok).toBe(true);
    const [getUrl] = fake.callsTo('files.getUploadURLExternal');
    expect(getUrl?.args).toMatchObject({ filename: 'build-812.log', length: '14' });
    expect(fake.uploads).toContainEqual({
      fileId: expect.stringMatching(/^F/),
      bytes: expect.any(Number),
      content: expect.any(String),
    });
    const [complete] = fake.callsTo('files.completeUploadExternal');
    expect(complete?.args).toMatchObject({
      channel_id: 'C0OPS',
      files: [{ id: expect.stringMatching(/^F/), title: 'build 812' }],
    });
  });

  it('answers unknown methods like Slack does', async () => {
    await expect(client().apiCall('no.such.method')).rejects.toMatchObject({
      data: { ok: false, error: 'unknown_method' },
    });
  });
});

describe('SlackChat.upload', () => {
  it('shares a file through files.uploadV2: the upload URL, the bytes, then completion in the channel and thread', async () => {
    const content = `${'line of a build log\n'.repeat(2000)}`;
    await chat.upload(
      'C0BUILDS',
      { filename: 'build-7.log', title: 'Log of build #7', content, comment: 'asked by <@U1>' },
      { channel: 'C0BUILDS', ts: '1700000000.000100' },
    );
    const [asked] = fake.callsTo('files.getUploadURLExternal');
    expect(asked?.args).toMatchObject({
      filename: 'build-7.log',
      length: String(Buffer.byteLength(content)),
    });
    // The upload carries the content (within its multipart envelope).
    expect(fake.uploads.at(-1)?.bytes ?? 0).toBeGreaterThanOrEqual(Buffer.byteLength(content));
    const [completed] = fake.callsTo('files.completeUploadExternal');
    expect(completed?.args).toMatchObject({
      channel_id: 'C0BUILDS',
      thread_ts: '1700000000.000100',
      initial_comment: 'asked by <@U1>',
    });
    expect(JSON.stringify(completed?.args.files)).toContain('Log of build #7');
  });

  it('an upload Slack refuses surfaces as an error naming the method and code', async () => {
    fake.failNext('files.getUploadURLExternal', 'not_allowed_token_type');
    await expect(chat.upload('C0BUILDS', { filename: 'x.log', title: 'x', content: 'x' })).rejects.toThrow(
      /files\.uploadV2 failed: .*not_allowed_token_type/,
    );
  });
});
