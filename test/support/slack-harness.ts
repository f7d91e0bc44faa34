import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSlackAdapter, type SlackAdapter } from '../../src/bot/slack/app.js';
import type { SlackChatOptions } from '../../src/bot/slack/chat.js';
import type { HttpLimits } from '../../src/bot/slack/http-limits.js';
import { allCommands, type CommandSpec, createDispatcher, createRegistry } from '../../src/commands/index.js';
import type { Config } from '../../src/config/schema.js';
import { createNodeLocks } from '../../src/engine/locks/node-locks.js';
import { systemClock } from '../../src/engine/ports/index.js';
import { createStorage } from '../../src/storage/keyv.js';
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
 * The real Bolt app on an ephemeral port with the real dispatcher and embedded storage, its Web
 * API pointed at a fake Slack.
 */
export const startSlackHarness = async (
  keyPrefix: string,
  options: { http?: Partial<HttpLimits>; chat?: SlackChatOptions } = {},
) => {
  const fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  const dataDir = await mkdtemp(join(tmpdir(), 'heckler-slack-'));
  const log = captureLogger([TOKEN, TEST_SIGNING_SECRET], 'info');
  const storage = await createStorage({ dataDir, keyPrefix, logger: log.logger });
  const config: Config = testConfig(
    { slack: { port: 0, path: '/slack/events' } },
    { secrets: { slackBotToken: TOKEN, slackSigningSecret: TEST_SIGNING_SECRET }, mode: 'slack' },
  );
  const adapter: SlackAdapter = createSlackAdapter({
    config,
    locks: storage.locks,
    logger: log.logger,
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
    ...(options.http ? { http: options.http } : {}),
    ...(options.chat ? { chatOptions: options.chat } : {}),
  });
  const dispatcher = createDispatcher({
    chat: adapter.chat,
    config,
    commands: createRegistry([...allCommands, adminOnly]),
    clock: systemClock,
    logger: log.logger,
    version: '0.0.0-test',
    nodeLocks: createNodeLocks(storage.locks, systemClock),
  });
  const { port } = await adapter.start(dispatcher);
  const url = `http://127.0.0.1:${port}/slack/events`;
  let responseIds = 0;
  const nextResponseId = () => `R${++responseIds}`;

  return {
    fake,
    adapter,
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
      await adapter.stop();
      await storage.close();
      await fake.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
