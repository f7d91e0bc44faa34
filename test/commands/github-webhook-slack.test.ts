import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { testConfig } from '../support/config.js';
import { deliver } from '../support/github-webhook.js';
import { captureLogger } from '../support/logger.js';
import { sendSigned, slashCommandBody, TEST_SIGNING_SECRET } from '../support/slack-signing.js';

/**
 * In Slack's HTTP mode the webhook is served on the bot's one public port, beside /slack/events
 * and before Slack's signature gate (which would refuse GitHub's deliveries as unsigned), and
 * with metrics.port set too: the operations routes move there, the webhook stays public.
 */
const TOKEN = 'xoxb-webhook-slack-token';
const SECRET = 'whsec-on-the-slack-port';

let fake: FakeSlackApi;
let app: HecklerApp;
let dataDir: string;
let base: string;
const log = captureLogger([TOKEN, TEST_SIGNING_SECRET, SECRET], 'info');

beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  dataDir = await mkdtemp(join(tmpdir(), 'heckler-ghslack-'));
  const config = testConfig(
    {
      slack: { port: 0, path: '/slack/events', apiUrl: fake.apiUrl },
      metrics: { port: 0 },
      storage: { dataDir, keyPrefix: 'ghslack' },
    },
    {
      secrets: { slackBotToken: TOKEN, slackSigningSecret: TEST_SIGNING_SECRET, githubWebhookSecret: SECRET },
      mode: 'slack',
    },
  );
  app = await composeApp(config, {
    logger: log.logger,
    version: '0.0.0-test',
    scheduler: false,
    slack: { host: '127.0.0.1', clientOptions: { retryConfig: { retries: 0 } } },
  });
  const { port } = await app.start();
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await app?.stop();
  await fake?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('POST /github/webhook on the Slack HTTP port', () => {
  it("answers GitHub's signed ping, which Slack's gate would have refused", async () => {
    expect(
      await deliver(
        `${base}/github/webhook`,
        'ping',
        { zen: 'Half measures are as bad as nothing at all.' },
        { secret: SECRET },
      ),
    ).toEqual({
      status: 200,
      text: 'pong\n',
    });
  });

  it('refuses an unsigned delivery saying why, and a replayed one', async () => {
    const unsigned = await deliver(`${base}/github/webhook`, 'ping', { zen: 'x' });
    expect(unsigned.status).toBe(401);
    expect(unsigned.text).toMatch(/^unsigned: set a secret on the webhook/);
    const headers = { 'x-github-delivery': 'slack-port-replay' };
    expect((await deliver(`${base}/github/webhook`, 'ping', {}, { secret: SECRET, headers })).status).toBe(
      200,
    );
    expect((await deliver(`${base}/github/webhook`, 'ping', {}, { secret: SECRET, headers })).status).toBe(
      409,
    );
  });

  it('leaves Slack its endpoint: a signed slash command is still answered', async () => {
    const body = slashCommandBody({ user: 'U0ADMIN', text: 'version', responseUrl: fake.responseUrl('R1') });
    expect((await sendSigned(`${base}/slack/events`, body)).status).toBe(200);
  });

  it('does not serve the operations routes on the public port once metrics.port is set', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
  });
});
