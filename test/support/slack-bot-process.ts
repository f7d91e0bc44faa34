/**
 * The Slack side of the bot in a process of its own, so a test can measure its memory alone: the
 * bot as composeApp builds it in Slack HTTP mode (the real Bolt app behind our gated HTTP server,
 * the real dispatcher, embedded storage), its Web API pointed at the fake Slack whose URL the
 * parent passes. Run with `node --import tsx`.
 *
 * Environment: HECKLER_TEST_SLACK_API (the fake's apiUrl), HECKLER_TEST_SLACK_HTTP (JSON overrides
 * of the HTTP limits, optional). Prints `{"port":N}` on stdout once listening; logs JSON lines on
 * stderr; stops on SIGTERM.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeApp } from '../../src/compose/app.js';
import { createLogger } from '../../src/log.js';
import { testConfig } from './config.js';
import { TEST_SIGNING_SECRET } from './slack-signing.js';

const TOKEN = 'xoxb-test-token';
const apiUrl = process.env.HECKLER_TEST_SLACK_API;
if (!apiUrl) throw new Error('HECKLER_TEST_SLACK_API is not set');
const http = JSON.parse(process.env.HECKLER_TEST_SLACK_HTTP ?? '{}') as Record<string, number>;

const dataDir = await mkdtemp(join(tmpdir(), 'heckler-slack-proc-'));
const config = testConfig(
  {
    slack: { host: '127.0.0.1', port: 0, path: '/slack/events', apiUrl },
    storage: { dataDir, keyPrefix: 'slack-proc' },
  },
  { secrets: { slackBotToken: TOKEN, slackSigningSecret: TEST_SIGNING_SECRET }, mode: 'slack' },
);
const app = await composeApp(config, {
  logger: createLogger({ level: 'info', secrets: [TOKEN, TEST_SIGNING_SECRET], destination: process.stderr }),
  version: '0.0.0-test',
  scheduler: false,
  slack: { clientOptions: { retryConfig: { retries: 0 } }, http },
});
const { port } = await app.start();
process.stdout.write(`${JSON.stringify({ port })}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  })();
});
