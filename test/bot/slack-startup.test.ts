import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { configDir, startBotMain } from '../support/bot-main.js';
import { freePorts } from '../support/process.js';
import { TEST_SIGNING_SECRET } from '../support/slack-signing.js';

/**
 * The real bot process with Slack credentials that cannot work: it must say why in one line on
 * stderr and exit non-zero, having served nothing, instead of retrying in its log. Each test waits
 * on the process's exit; a bot that kept running would fail by the test's timeout.
 */
const GOOD = 'xoxb-good-token';
const made: { remove(): void }[] = [];

const runBot = async (apiUrl: string, env: Record<string, string>) => {
  const files = configDir('slack-startup', `slack:\n  host: 127.0.0.1\n  port: 0\n  apiUrl: "${apiUrl}"\n`);
  made.push(files);
  const bot = startBotMain({ args: ['--config', files.path], env });
  const exit = await bot.exited;
  return { exit, stdout: bot.stdout, stderr: bot.stderr, dataDir: `${files.dir}/data` };
};

let fake: FakeSlackApi;
beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: [GOOD] });
});
afterAll(async () => {
  await fake?.stop();
  for (const files of made) files.remove();
});

describe('a bot whose Slack will not do', { timeout: 90_000 }, () => {
  it('names invalid_auth when Slack refuses the bot token, asks once, and exits 2', async () => {
    const before = fake.callsTo('auth.test').length;
    const run = await runBot(fake.apiUrl, {
      SLACK_BOT_TOKEN: 'xoxb-revoked-token',
      SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    });
    expect(run.exit).toEqual({ code: 2, signal: null });
    expect(run.stderr).toEqual([
      `heckler: Slack at ${fake.apiUrl} refused the bot token (invalid_auth): SLACK_BOT_TOKEN is not a valid ` +
        "token of a workspace app; set it to the app's Bot User OAuth Token (xoxb-…) from its OAuth & Permissions page",
    ]);
    // One auth.test, no retries, and nothing served or posted.
    expect(fake.callsTo('auth.test').slice(before)).toEqual([
      expect.objectContaining({ token: 'xoxb-revoked-token' }),
    ]);
    expect(fake.calls.filter((call) => call.method !== 'auth.test')).toEqual([]);
    expect(run.stdout.join('\n')).not.toMatch(/heckler is listening/);
    // The token never reaches the output.
    expect([...run.stdout, ...run.stderr].join('\n')).not.toContain('xoxb-revoked-token');
  });

  it('names the address when nothing listens there (a closed loopback port), and exits 1', async () => {
    const [port] = await freePorts(1);
    const apiUrl = `http://127.0.0.1:${port}/api/`;
    const run = await runBot(apiUrl, { SLACK_BOT_TOKEN: GOOD, SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET });
    expect(run.exit).toEqual({ code: 1, signal: null });
    expect(run.stderr).toEqual([
      `heckler: Slack is unreachable at ${apiUrl} (connect ECONNREFUSED 127.0.0.1:${port}): check slack.apiUrl, ` +
        'and that this host can reach it (DNS, firewall, proxy)',
    ]);
    expect(run.stdout.join('\n')).not.toMatch(/heckler is listening/);
  });

  it('gives up on an address that takes the connection and never answers, after the start-up timeout', async () => {
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => void held.push(socket));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as { port: number };
    const apiUrl = `http://127.0.0.1:${port}/api/`;
    try {
      const run = await runBot(apiUrl, { SLACK_BOT_TOKEN: GOOD, SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET });
      expect(run.exit).toEqual({ code: 1, signal: null });
      expect(run.stderr).toEqual([
        `heckler: Slack is unreachable at ${apiUrl} (no answer within 5 s): check slack.apiUrl, ` +
          'and that this host can reach it (DNS, firewall, proxy)',
      ]);
      // Asked once: a retry would have opened a second connection.
      expect(held).toHaveLength(1);
    } finally {
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });

  it('names SLACK_SIGNING_SECRET when only the bot token is set, before opening anything', async () => {
    const before = fake.calls.length;
    const run = await runBot(fake.apiUrl, { SLACK_BOT_TOKEN: GOOD });
    expect(run.exit).toEqual({ code: 2, signal: null });
    expect(run.stderr).toEqual([
      'heckler: SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN ' +
        '(Socket Mode) is: set one, or unset SLACK_BOT_TOKEN to use the shell',
    ]);
    expect(fake.calls.length).toBe(before);
    // No store was opened.
    expect(() => readdirSync(run.dataDir)).toThrow(/ENOENT/);
  });
});
