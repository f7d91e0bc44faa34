import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allCommands, type CommandSpec } from '../../src/commands/index.js';
import { composeApp } from '../../src/compose/app.js';
import type { Config } from '../../src/config/schema.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { APP_TOKEN, type EnvelopeType, FakeSocketMode } from '../fakes/slack-socket-mode.js';
import { testConfig } from './config.js';
import { captureLogger } from './logger.js';
import { adminOnly, TOKEN } from './slack-harness.js';
import { type ButtonClick, blockActionBody, type SlashCommand, slashCommandBody } from './slack-signing.js';

export type SocketHarness = Awaited<ReturnType<typeof startSocketHarness>>;

/** A slash command's payload in an envelope: the fields Slack would form-encode over HTTP, as JSON. */
export const slashPayload = (cmd: SlashCommand): Record<string, string> =>
  Object.fromEntries(new URLSearchParams(slashCommandBody(cmd).raw));

/** A block_actions payload in an envelope: the JSON Slack would put in the `payload` form field. */
export const clickPayload = (click: ButtonClick): Record<string, unknown> =>
  JSON.parse(new URLSearchParams(blockActionBody(click).raw).get('payload') ?? '{}') as Record<
    string,
    unknown
  >;

/**
 * The bot as composeApp builds it in Slack's Socket Mode (SLACK_APP_TOKEN set, no signing
 * secret), with embedded storage, its Web API (slack.apiUrl) and its socket at the fakes.
 * `clientPingTimeoutMs` is also how long the client waits before it reconnects.
 */
export const startSocketHarness = async (
  keyPrefix: string,
  options: {
    commands?: readonly CommandSpec[];
    clientPingTimeoutMs?: number;
    logLevel?: 'debug' | 'info';
  } = {},
) => {
  const fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  const socket = await FakeSocketMode.start(fake);
  const dataDir = await mkdtemp(join(tmpdir(), 'heckler-socket-'));
  const log = captureLogger([TOKEN, APP_TOKEN], options.logLevel ?? 'info');
  const config: Config = testConfig(
    {
      slack: { apiUrl: fake.apiUrl },
      storage: { dataDir, keyPrefix },
      log: { level: options.logLevel ?? 'info' },
    },
    { secrets: { slackBotToken: TOKEN, slackAppToken: APP_TOKEN }, mode: 'slack' },
  );
  const app = await composeApp(config, {
    logger: log.logger,
    commands: [...allCommands, adminOnly, ...(options.commands ?? [])],
    version: '0.0.0-test',
    scheduler: false,
    slack: {
      clientOptions: { retryConfig: { retries: 0 } },
      socket: { clientPingTimeoutMs: options.clientPingTimeoutMs ?? 3000 },
    },
  });
  await app.start();
  await socket.waitForHello(1);
  let responseIds = 0;
  const nextResponseId = () => `R${++responseIds}`;
  const envelope = (type: EnvelopeType, payload: unknown) => socket.send(type, payload);

  return {
    fake,
    socket,
    app,
    log,
    nextResponseId,
    envelope,
    /** The answer posted to response_url `id` (bounded generously: the machine may be busy). */
    answer: (id: string) => fake.waitForResponse(id, () => true, 15_000),
    /** A slash command in a `slash_commands` envelope; `id` names the response_url it is answered on. */
    slash(user: string, text: string, extra: Partial<SlashCommand> = {}) {
      const id = nextResponseId();
      const sent = envelope(
        'slash_commands',
        slashPayload({ user, text, responseUrl: fake.responseUrl(id), ...extra }),
      );
      return { ...sent, id };
    },
    /** A button click in an `interactive` envelope, answered on its own response_url. */
    click(click: Omit<ButtonClick, 'responseUrl'>) {
      const id = nextResponseId();
      const sent = envelope('interactive', clickPayload({ ...click, responseUrl: fake.responseUrl(id) }));
      return { ...sent, id };
    },
    async stop() {
      await app.stop();
      await socket.stop();
      await fake.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
