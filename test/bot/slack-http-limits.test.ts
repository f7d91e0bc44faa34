import { randomBytes } from 'node:crypto';
import { type ClientRequest, request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalLog } from '../../src/bot/slack/http-limits.js';
import { captureLogger } from '../support/logger.js';
import { NOBODY, type SlackHarness, startSlackHarness } from '../support/slack-harness.js';
import { blockActionBody, sendSigned, slashCommandBody } from '../support/slack-signing.js';

let slack: SlackHarness;
const LIMITS = {
  maxBodyBytes: 64 * 1024,
  bodyTimeoutMs: 400,
  headersTimeoutMs: 600,
  requestTimeoutMs: 2_000,
};

beforeAll(async () => {
  slack = await startSlackHarness('slack-http-limits-test', { http: LIMITS });
});

afterAll(async () => {
  await slack?.stop();
});

const now = () => String(Math.floor(Date.now() / 1000));
const forged = () => `v0=${randomBytes(32).toString('hex')}`;

/**
 * A POST whose body is written by `send` (maybe never, maybe in part): resolves with the status
 * the bot answered, so a test can see it answer before the body arrived.
 */
const post = (headers: Record<string, string>, send: (req: ClientRequest) => void) =>
  new Promise<number | undefined>((resolve, reject) => {
    const { port } = new URL(slack.url);
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/slack/events', headers },
      (res) => {
        res.resume();
        resolve(res.statusCode);
        req.destroy();
      },
    );
    req.on('error', (error) => (req.destroyed ? resolve(undefined) : reject(error)));
    req.flushHeaders();
    send(req);
  });

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('before the body is read', () => {
  it('refuses a request without a signature, or with a malformed one, with 401', async () => {
    const big = String(5 * 1024 * 1024);
    const missing = await post(
      { ...form, 'x-slack-request-timestamp': now(), 'content-length': big },
      () => {},
    );
    const malformed = await post(
      { ...form, 'x-slack-request-timestamp': now(), 'x-slack-signature': 'v0=abc', 'content-length': big },
      () => {},
    );
    expect([missing, malformed]).toEqual([401, 401]);
    expect(slack.log.text()).toContain('refused slack request: no well-formed signature header');
  });

  it('answers 413 to a body declared bigger than the cap, without waiting for it', async () => {
    const status = await post(
      {
        ...form,
        'x-slack-request-timestamp': now(),
        'x-slack-signature': forged(),
        'content-length': String(LIMITS.maxBodyBytes + 1),
      },
      () => {},
    );
    expect(status).toBe(413);
  });
});

describe('while the body is read', () => {
  it('counts a chunked body and answers 413 once it passes the cap', async () => {
    const status = await post(
      { ...form, 'x-slack-request-timestamp': now(), 'x-slack-signature': forged() },
      (req) => {
        for (let i = 0; i < 20; i += 1) req.write(Buffer.alloc(8 * 1024, 'a'));
      },
    );
    expect(status).toBe(413);
  });

  it('answers 408 to a body that does not arrive in time', async () => {
    const status = await post(
      { ...form, 'x-slack-request-timestamp': now(), 'x-slack-signature': forged(), 'content-length': '100' },
      (req) => req.write('payload='),
    );
    expect(status).toBe(408);
    expect(slack.log.text()).toContain('refused slack request: body not complete in time');
  });

  it('refuses a well-formed but wrong signature itself, so Bolt never sees it', async () => {
    const body = slashCommandBody({
      user: NOBODY,
      text: 'help',
      responseUrl: slack.fake.responseUrl('forged'),
    });
    const response = await sendSigned(slack.url, body, { secret: 'not-the-signing-secret' });
    expect(response.status).toBe(401);
    expect(slack.log.text()).toContain('refused slack request: signature does not match');
    expect(slack.log.text()).not.toContain('Failed to parse and verify');
  });

  it('lets a click on a message full to its text budget through', async () => {
    const sections = Array.from({ length: 4 }, (_, i) => ({
      type: 'section',
      text: { type: 'mrkdwn', text: `${i} ${'"diff" => {x}, '.repeat(180)}` },
    }));
    const id = slack.nextResponseId();
    const click = blockActionBody({
      user: NOBODY,
      button: { action_id: 'heckler:0', value: 'whoami' },
      responseUrl: slack.fake.responseUrl(id),
      blocks: sections,
    });
    expect(Buffer.byteLength(click.raw)).toBeGreaterThan(20_000);
    expect((await sendSigned(slack.url, click)).status).toBe(200);
    await slack.fake.waitForResponse(id);
  });
});

describe('the headers', () => {
  it('answer 408 when they do not arrive in time', async () => {
    const socket = connect(Number(new URL(slack.url).port), '127.0.0.1');
    socket.write('POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slack-Request-Tim');
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (data: Buffer) => (text += data.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(slack.log.text()).toContain(
      'refused slack request: headers (or the whole request) not complete in time',
    );
  });
});

describe('refusal logs', () => {
  it('say each kind once per window, then how many were not said', () => {
    const log = captureLogger([], 'info');
    let at = 0;
    const refusals = refusalLog(log.logger, () => at, 60_000);
    for (let i = 0; i < 50; i += 1) refusals.note('too-large', 413);
    refusals.note('no-signature', 401);
    at = 61_000;
    refusals.note('too-large', 413);
    const lines = log.lines.map((line) => JSON.parse(line) as { kind: string; suppressed?: number });
    expect(lines.map((l) => [l.kind, l.suppressed])).toEqual([
      ['too-large', undefined],
      ['no-signature', undefined],
      ['too-large', 49],
    ]);
  });
});
