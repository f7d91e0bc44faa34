import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SlackChatOptions } from '../../src/bot/slack/chat.js';
import type { HttpLimits } from '../../src/bot/slack/http-limits.js';
import { allCommands, type CommandSpec } from '../../src/commands/index.js';
import { composeApp } from '../../src/compose/app.js';
import type { Config } from '../../src/config/schema.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { testConfig } from './config.js';
import { captureLogger } from './logger.js';
import { type SendOptions, sendSigned, slashCommandBody, TEST_SIGNING_SECRET } from './slack-signing.js';

export const TOKEN = 'xoxb-test-token';
/** Users of testConfig(): an admin, an applier, and someone without roles. */
export const ADMIN = 'U0ADMIN';
export const APPLIER = 'U0APPLIER';
export const NOBODY = 'U0NOBODY';

/** A command only admins may run, so `help` has something to filter by role. */
export const adminOnly: CommandSpec = {
  name: 'rotate-secrets',
  summary: 'An admin-only command for the role filter',
  args: [],
  flags: [],
  role: 'admin',
  sideEffects: true,
  examples: ['rotate-secrets'],
  async run(ctx) {
    await ctx.respond({ text: 'rotated', blocks: [] });
  },
};

export type SlackHarness = Awaited<ReturnType<typeof startSlackHarness>>;

/**
 * The bot as composeApp builds it in Slack HTTP mode, on an ephemeral loopback port with embedded
 * storage, its Web API (slack.apiUrl) pointed at a fake Slack.
 */
export const startSlackHarness = async (
  keyPrefix: string,
  options: { http?: Partial<HttpLimits>; chat?: SlackChatOptions; commands?: CommandSpec[] } = {},
) => {
  const fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  const dataDir = await mkdtemp(join(tmpdir(), 'heckler-slack-'));
  const log = captureLogger([TOKEN, TEST_SIGNING_SECRET], 'info');
  const config: Config = testConfig(
    { slack: { port: 0, path: '/slack/events', apiUrl: fake.apiUrl }, storage: { dataDir, keyPrefix } },
    { secrets: { slackBotToken: TOKEN, slackSigningSecret: TEST_SIGNING_SECRET }, mode: 'slack' },
  );
  const app = await composeApp(config, {
    logger: log.logger,
    commands: [...allCommands, adminOnly, ...(options.commands ?? [])],
    version: '0.0.0-test',
    scheduler: false,
    slack: {
      host: '127.0.0.1',
      clientOptions: { retryConfig: { retries: 0 } },
      ...(options.http ? { http: options.http } : {}),
      ...(options.chat ? { chatOptions: options.chat } : {}),
    },
  });
  const { port } = await app.start();
  const url = `http://127.0.0.1:${port}/slack/events`;
  let responseIds = 0;
  const nextResponseId = () => `R${++responseIds}`;

  return {
    fake,
    app,
    /** The surface: its `chat` is the bot's Chat port over the fake. */
    adapter: app.surface,
    log,
    url,
    nextResponseId,
    /** Sends a signed slash command; `id` names the response_url it will be answered on. */
    async slash(user: string, text: string, options: SendOptions = {}) {
      const id = nextResponseId();
      const body = slashCommandBody({ user, text, responseUrl: fake.responseUrl(id) });
      return { response: await sendSigned(url, body, options), id };
    },
    async stop() {
      await app.stop();
      await fake.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
