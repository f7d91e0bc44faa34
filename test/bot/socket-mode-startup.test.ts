import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp } from '../../src/compose/app.js';
import { HecklerError } from '../../src/engine/errors.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { APP_TOKEN, FakeSocketMode } from '../fakes/slack-socket-mode.js';
import { configDir, startBotMain } from '../support/bot-main.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { freePorts } from '../support/process.js';

/**
 * The real bot process in Socket Mode with an app-level token Slack will not take: like HTTP mode
 * (slack-startup.test.ts) it says why in one line on stderr and exits non-zero, having connected
 * nothing. Each test waits on the exit; a bot that kept retrying would fail by the timeout.
 */
const BOT = 'xoxb-good-token';
const made: { remove(): void }[] = [];

let fake: FakeSlackApi;
let socket: FakeSocketMode;
beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [BOT] });
  socket = await FakeSocketMode.start(fake);
});
afterAll(async () => {
  await socket?.stop();
  await fake?.stop();
  for (const files of made) files.remove();
});

const runBot = async (appToken: string) => {
  const files = configDir('socket-startup', `slack:\n  apiUrl: "${fake.apiUrl}"\n`);
  made.push(files);
  const bot = startBotMain({
    args: ['--config', files.path],
    env: { SLACK_BOT_TOKEN: BOT, SLACK_APP_TOKEN: appToken },
  });
  const exit = await bot.exited;
  return { exit, stdout: bot.stdout, stderr: bot.stderr };
};

describe('a Socket Mode bot whose app token Slack will not take', { timeout: 90_000 }, () => {
  it('names invalid_auth and SLACK_APP_TOKEN, asks once, connects nothing, and exits 2', async () => {
    const revoked = 'xapp-1-A0TEST-1-revokedrevokedrevoked';
    const opens = fake.callsTo('apps.connections.open').length;
    const run = await runBot(revoked);
    expect(run.exit).toEqual({ code: 2, signal: null });
    expect(run.stderr).toEqual([
      `heckler: Slack at ${fake.apiUrl} refused the app-level token (invalid_auth): SLACK_APP_TOKEN is not a ` +
        'valid app-level token of this app; generate one with the connections:write scope under Basic ' +
        'Information › App-Level Tokens, or unset SLACK_APP_TOKEN to use HTTP mode',
    ]);
    // Asked once after the bot token passed, no retries, no socket opened, nothing posted.
    expect(fake.callsTo('apps.connections.open').slice(opens)).toEqual([
      expect.objectContaining({ token: revoked, answer: { ok: false, error: 'invalid_auth' } }),
    ]);
    expect(socket.connections).toHaveLength(0);
    expect(fake.calls.filter((c) => !['auth.test', 'apps.connections.open'].includes(c.method))).toEqual([]);
    expect([...run.stdout, ...run.stderr].join('\n')).not.toContain(revoked);
  });

  it('says to check Socket Mode when Slack answers apps.connections.open with another error, and exits 1', async () => {
    fake.failNext('apps.connections.open', 'internal_error');
    const run = await runBot(APP_TOKEN);
    expect(run.exit).toEqual({ code: 1, signal: null });
    expect(run.stderr).toEqual([
      `heckler: Slack at ${fake.apiUrl} answered apps.connections.open with internal_error: check that ` +
        'Socket Mode is enabled for the app (Settings › Socket Mode) and SLACK_APP_TOKEN',
    ]);
    expect(socket.connections).toHaveLength(0);
  });
});

describe('a Socket Mode bot that cannot open the WebSocket', { timeout: 60_000 }, () => {
  it('stops retrying after its start timeout and says why in one line, with no token in it', async () => {
    // Slack answers apps.connections.open, but its WebSocket URL cannot be reached from here.
    const [port] = await freePorts(1);
    const other = await FakeSlackApi.start({ tokens: [BOT] });
    other.serve('apps.connections.open', () => ({ ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=t1` }));
    const dataDir = mkdtempSync(join(tmpdir(), 'heckler-socket-start-'));
    const log = captureLogger([BOT, APP_TOKEN], 'info');
    const config = testConfig(
      { slack: { apiUrl: other.apiUrl }, storage: { dataDir, keyPrefix: 'socket-start' } },
      { secrets: { slackBotToken: BOT, slackAppToken: APP_TOKEN }, mode: 'slack' },
    );
    const app = await composeApp(config, {
      logger: log.logger,
      scheduler: false,
      slack: {
        clientOptions: { retryConfig: { retries: 0 } },
        socket: { clientPingTimeoutMs: 500, startTimeoutMs: 3000 },
      },
    });
    try {
      const error = await app.start().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(HecklerError);
      expect((error as HecklerError).code).toBe('CHAT_UNAVAILABLE');
      expect((error as HecklerError).message).toMatch(
        new RegExp(
          `^Slack's Socket Mode connection to 127\\.0\\.0\\.1:${port} did not open within 3 s: check that this host ` +
            'can open WebSockets to Slack',
        ),
      );
      expect((error as HecklerError).message).not.toContain(APP_TOKEN);
      // It kept trying (the check, the first attempt, reconnects) until the timeout.
      const attempts = other.callsTo('apps.connections.open').length;
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(app.surface.connected()).toBe(false);
    } finally {
      await app.close();
      await other.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
