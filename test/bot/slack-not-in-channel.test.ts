import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackChannelError } from '../../src/bot/slack/channel-errors.js';
import { SlackApiError, SlackChat } from '../../src/bot/slack/chat.js';
import type { CommandSpec } from '../../src/commands/types.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { captureLogger } from '../support/logger.js';
import { APPLIER, type SlackHarness, startSlackHarness } from '../support/slack-harness.js';

/**
 * Slack answers `not_in_channel` (or, for a private channel it cannot see, `channel_not_found`)
 * when the bot posts where it was never invited. The person who asked, and the log, learn what to
 * do — invite the bot — instead of "something went wrong (error id …)".
 */
const TOKEN = 'xoxb-test-token';

describe('SlackChat when the bot is not in the channel', () => {
  let fake: FakeSlackApi;
  let log: ReturnType<typeof captureLogger>;
  let chat: SlackChat;

  beforeAll(async () => {
    fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  });
  beforeEach(() => {
    fake.calls.length = 0;
    log = captureLogger([TOKEN], 'info');
    const client = new webApi.WebClient(TOKEN, {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      logLevel: webApi.LogLevel.ERROR,
    });
    chat = new SlackChat(client, { logger: log.logger });
  });
  afterAll(async () => {
    await fake?.stop();
  });

  const cases: {
    name: string;
    method: string;
    slackError: string;
    act: (chat: SlackChat) => Promise<unknown>;
    says: RegExp;
  }[] = [
    {
      name: 'a post to a channel id, named through conversations.info',
      method: 'chat.postMessage',
      slackError: 'not_in_channel',
      act: (c) => c.post('C0OPS', { text: 'hello', blocks: [] }),
      says: /^Heckler is not in #ops, so it cannot post there$/,
    },
    {
      name: 'a post to a channel named in the config (no lookup needed)',
      method: 'chat.postMessage',
      slackError: 'not_in_channel',
      act: (c) => c.post('deploys', { text: 'hello', blocks: [] }),
      says: /^Heckler is not in #deploys/,
    },
    {
      name: 'a reply in a thread',
      method: 'chat.postMessage',
      slackError: 'not_in_channel',
      act: (c) => c.reply({ channel: 'C0OPS', ts: '1.000001' }, { text: 'hello', blocks: [] }),
      says: /^Heckler is not in #ops/,
    },
    {
      name: 'a file upload (the share in files.completeUploadExternal)',
      method: 'files.completeUploadExternal',
      slackError: 'not_in_channel',
      act: (c) => c.upload('C0OPS', { filename: 'a.txt', title: 'a', content: 'a' }),
      says: /^Heckler is not in #ops/,
    },
    {
      name: 'an ephemeral answer',
      method: 'chat.postEphemeral',
      slackError: 'not_in_channel',
      act: (c) => c.whisper('C0OPS', 'U0ALICE', { text: 'psst', blocks: [] }),
      says: /^Heckler is not in #ops/,
    },
    {
      name: 'a private channel Slack will not show the bot',
      method: 'chat.postMessage',
      slackError: 'channel_not_found',
      act: (c) => c.post('G0SECRET', { text: 'hello', blocks: [] }),
      says: /^Heckler cannot see channel G0SECRET: it does not exist, or it is private and Heckler is not in it$/,
    },
  ];

  it.each(cases)('$name: says to invite the bot, keeps Slack’s code, and logs it', async (c) => {
    fake.failNext(c.method, c.slackError);
    if (c.slackError === 'channel_not_found') fake.failNext('conversations.info', 'channel_not_found');
    const error = await c.act(chat).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackChannelError);
    const failure = error as SlackChannelError;
    expect(failure.message).toMatch(c.says);
    expect(failure.hint).toMatch(
      /^invite @Heckler to (#\w+|channel G0SECRET) \(`\/invite @Heckler`\), then try again/,
    );
    expect(failure.code).toBe('CHAT_UNAVAILABLE');
    expect(failure.slackError).toBe(c.slackError);
    expect(failure.cause).toBeInstanceOf(SlackApiError);
    const line = log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).at(-1);
    expect(line).toMatchObject({ level: 'warn', slackError: c.slackError });
    expect(String(line?.msg)).toContain('/invite @Heckler');
  });

  it('leaves other failures as they were: a SlackApiError naming Slack’s code', async () => {
    fake.failNext('chat.postMessage', 'is_archived');
    const error = await chat.post('C0OPS', { text: 'x', blocks: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackApiError);
    expect(error).not.toBeInstanceOf(SlackChannelError);
    expect(fake.callsTo('conversations.info')).toHaveLength(0);
  });

  it('does not let a channel name from Slack inject mrkdwn into the answer', async () => {
    fake.failNext('chat.postMessage', 'not_in_channel');
    const error = (await chat
      .post('<!channel>*x*', { text: 'x', blocks: [] })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('#&lt;!channel&gt;*x*');
    expect(error.message).not.toContain('<!channel>');
  });
});

describe('a command that posts where the bot was not invited', () => {
  let slack: SlackHarness;
  const announce: CommandSpec = {
    name: 'announce',
    summary: 'Posts in the channel it was typed in',
    args: [],
    flags: [],
    role: 'applier',
    sideEffects: true,
    examples: ['announce'],
    async run(ctx) {
      await ctx.services.chat.post(ctx.channel, { text: 'hello', blocks: [] });
    },
  };

  beforeAll(async () => {
    slack = await startSlackHarness('not-in-channel', { commands: [announce] });
  });
  afterAll(async () => {
    await slack?.stop();
  });

  it('answers the user privately with what to do, not a generic error id, and logs the same', async () => {
    slack.fake.failNext('chat.postMessage', 'not_in_channel');
    const { id } = await slack.slash(APPLIER, 'announce');
    const answer = await slack.fake.waitForResponse(id);
    const text = JSON.stringify(answer.body);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(text).toContain('Heckler is not in #ops, so it cannot post there');
    expect(text).toContain('invite @Heckler to #ops (`/invite @Heckler`), then try again');
    expect(text).not.toMatch(/error id/);
    expect(slack.log.text()).toContain('invite @Heckler to #ops (`/invite @Heckler`)');
  });
});
