/**
 * The Slack side of the bot in a process of its own, so a test can measure its memory alone: the
 * real Bolt app behind our gated HTTP server, the real dispatcher and embedded storage, the Web API
 * pointed at the fake Slack whose URL the parent passes. Run with `node --import tsx`.
 *
 * Environment: HECKLER_TEST_SLACK_API (the fake's apiUrl), HECKLER_TEST_SLACK_HTTP (JSON overrides
 * of the HTTP limits, optional). Prints `{"port":N}` on stdout once listening; logs JSON lines on
 * stderr; stops on SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSlackAdapter } from '../../src/bot/slack/app.js';
import { allCommands, createDispatcher, createRegistry } from '../../src/commands/index.js';
import { createNodeLocks } from '../../src/engine/locks/node-locks.js';
import { systemClock } from '../../src/engine/ports/index.js';
import { createLogger } from '../../src/log.js';
import { createStorage } from '../../src/storage/keyv.js';
import { testConfig } from './config.js';
import { TEST_SIGNING_SECRET } from './slack-signing.js';

const TOKEN = 'xoxb-test-token';
const apiUrl = process.env.HECKLER_TEST_SLACK_API;
if (!apiUrl) throw new Error('HECKLER_TEST_SLACK_API is not set');
const http = JSON.parse(process.env.HECKLER_TEST_SLACK_HTTP ?? '{}') as Record<string, number>;

const dataDir = await mkdtemp(join(tmpdir(), 'heckler-slack-proc-'));
const logger = createLogger({
  level: 'info',
  secrets: [TOKEN, TEST_SIGNING_SECRET],
  destination: process.stderr,
});
const storage = await createStorage({ dataDir, keyPrefix: 'slack-proc', logger });
const config = testConfig(
  { slack: { port: 0, path: '/slack/events' } },
  { secrets: { slackBotToken: TOKEN, slackSigningSecret: TEST_SIGNING_SECRET }, mode: 'slack' },
);
const adapter = createSlackAdapter({
  config,
  locks: storage.locks,
  logger,
  clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 } },
  http,
});
const dispatcher = createDispatcher({
  chat: adapter.chat,
  config,
  commands: createRegistry(allCommands),
  clock: systemClock,
  logger,
  version: '0.0.0-test',
  nodeLocks: createNodeLocks(storage.locks, systemClock),
});
const { port } = await adapter.start(dispatcher);
process.stdout.write(`${JSON.stringify({ port })}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await adapter.stop();
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  })();
});
