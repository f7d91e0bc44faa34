import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { configDir, startBotMain } from '../support/bot-main.js';
import { configFiles } from '../support/config-files.js';
import { sendSigned, slashCommandBody, TEST_SIGNING_SECRET } from '../support/slack-signing.js';

const TOKEN = 'xoxb-test-token';
const { load, failure } = configFiles('slack-api-url');

describe('slack.apiUrl', () => {
  it("defaults to Slack's own Web API", () => {
    expect(load('{}').slack.apiUrl).toBe('https://slack.com/api/');
  });

  it.each([
    ['GovSlack, without the trailing slash', 'https://slack-gov.com/api', 'https://slack-gov.com/api/'],
    ['a stand-in on 127.0.0.1 over http', 'http://127.0.0.1:4390/api/', 'http://127.0.0.1:4390/api/'],
    ['localhost over http', 'http://localhost:4390/api/', 'http://localhost:4390/api/'],
    ['IPv6 loopback over http', 'http://[::1]:4390/api/', 'http://[::1]:4390/api/'],
    [
      'a proxy over https',
      'https://slack-proxy.internal:8443/api/',
      'https://slack-proxy.internal:8443/api/',
    ],
  ])('accepts %s', (_name, value, held) => {
    expect(load(`slack:\n  apiUrl: "${value}"\n`).slack.apiUrl).toBe(held);
  });

  it.each([
    [
      'plain http to another host',
      'http://slack.example.com/api/',
      /slack\.apiUrl: expected an https URL \(plain http only to a loopback host/,
    ],
    [
      'http to a host that merely starts like loopback',
      'http://127.0.0.1.example.com/api/',
      /slack\.apiUrl: expected an https URL/,
    ],
    [
      'no scheme',
      'slack.com/api/',
      /slack\.apiUrl: expected an absolute URL such as https:\/\/slack\.com\/api\//,
    ],
    ['another scheme', 'ftp://slack.com/api/', /slack\.apiUrl: expected an https URL such as/],
    [
      'credentials in the URL',
      'https://bot:secret@slack.com/api/',
      /slack\.apiUrl: expected a URL without credentials/,
    ],
    [
      'a query',
      'https://slack.com/api/?team=T1',
      /slack\.apiUrl: expected a URL without a query or fragment/,
    ],
  ])('refuses %s with CONFIG_INVALID naming the key', (_name, value, expected) => {
    const error = failure(`slack:\n  apiUrl: "${value}"\n`);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(expected);
  });

  it('refuses a value that is not a string', () => {
    expect(failure('slack:\n  apiUrl: 443\n').message).toMatch(
      /slack\.apiUrl: expected a string, found a number/,
    );
  });
});

describe('a bot process started from a config file', { timeout: 60_000 }, () => {
  let fake: FakeSlackApi;
  let files: ReturnType<typeof configDir>;

  beforeAll(async () => {
    fake = await FakeSlackApi.start({ tokens: [TOKEN] });
  });
  afterAll(async () => {
    await fake?.stop();
    files?.remove();
  });

  it('calls the Web API at slack.apiUrl: auth.test at start, then the answer to a command', async () => {
    files = configDir(
      'slack-api-url-bot',
      `slack:\n  host: 127.0.0.1\n  port: 0\n  apiUrl: ${fake.apiUrl}\n`,
    );
    const bot = startBotMain({
      args: ['--config', files.path],
      env: { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET },
    });
    try {
      const listening = JSON.parse(await bot.line(/heckler is listening/)) as { port: number };
      expect(fake.callsTo('auth.test')).toEqual([expect.objectContaining({ token: TOKEN })]);
      const body = slashCommandBody({ user: 'U0ANYONE', text: 'help', responseUrl: fake.responseUrl('R1') });
      const response = await sendSigned(`http://127.0.0.1:${listening.port}/slack/events`, body);
      expect(response.status).toBe(200);
      const answer = await fake.waitForResponse('R1', () => true, 20_000);
      expect(JSON.stringify(answer.body)).toContain('/heckler whoami');
    } finally {
      expect(await bot.stop()).toEqual({ code: 0, signal: null });
    }
  });
});
