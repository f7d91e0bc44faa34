import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, NOBODY, type SlackHarness, startSlackHarness } from '../support/slack-harness.js';
import { eventBody, sendSigned, signedHeaders, slashCommandBody } from '../support/slack-signing.js';

let slack: SlackHarness;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  slack = await startSlackHarness('slack-verify-test');
});

afterAll(async () => {
  await slack?.stop();
});

/**
 * After a refused request, a good command is sent and answered: the refused one had every chance
 * to be dispatched by then, and was not.
 */
const expectNothingDispatched = async (refusedId: string) => {
  const { id } = await slack.slash(NOBODY, 'version');
  await slack.fake.waitForResponse(id);
  expect(slack.fake.responsesTo(refusedId)).toEqual([]);
};

describe('request verification', () => {
  it('refuses a bad signature with 401 and dispatches nothing', async () => {
    const { response, id } = await slack.slash(ADMIN, 'rotate-secrets', { secret: 'not-the-signing-secret' });
    expect(response.status).toBe(401);
    await expectNothingDispatched(id);
  });

  it('refuses a stale timestamp (10 minutes old)', async () => {
    const { response, id } = await slack.slash(NOBODY, 'help', { timestamp: now() - 600 });
    expect(response.status).toBe(401);
    await expectNothingDispatched(id);
  });

  it('refuses a correctly signed timestamp 10 minutes in the future', async () => {
    const { response, id } = await slack.slash(NOBODY, 'help', { timestamp: now() + 600 });
    expect(response.status).toBe(401);
    await expectNothingDispatched(id);
    expect(slack.log.text()).toContain('"verdict":"future"');
  });

  it('refuses missing and non-numeric timestamps', async () => {
    const body = slashCommandBody({
      user: NOBODY,
      text: 'help',
      responseUrl: slack.fake.responseUrl('unsigned'),
    });
    const headers = { 'content-type': body.contentType, 'x-slack-signature': 'v0=00' };
    const missing = await fetch(slack.url, { method: 'POST', headers, body: body.raw });
    expect(missing.status).toBe(401);
    const garbage = await slack.slash(NOBODY, 'help', { timestamp: '12abc' });
    expect(garbage.response.status).toBe(401);
    await expectNothingDispatched(garbage.id);
    expect(slack.fake.responsesTo('unsigned')).toEqual([]);
  });

  it('accepts a timestamp within the window in either direction', async () => {
    for (const timestamp of [now() - 240, now() + 240]) {
      const { response, id } = await slack.slash(NOBODY, 'whoami', { timestamp });
      expect(response.status).toBe(200);
      await slack.fake.waitForResponse(id);
    }
  });

  it("answers Slack's unsigned ssl_check, and nothing else that is unsigned", async () => {
    const post = (body: string) =>
      fetch(slack.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    expect((await post('ssl_check=1&token=gIkuvaNzQIHg97ATvDxqgjtO')).status).toBe(200);
    const smuggled = slashCommandBody({
      user: NOBODY,
      text: 'help',
      responseUrl: slack.fake.responseUrl('smuggled'),
    });
    expect((await post(smuggled.raw)).status).toBe(401);
    await expectNothingDispatched('smuggled');
  });

  it('answers 404 for other paths and still gates their POSTs', async () => {
    expect((await fetch(slack.url.replace('/slack/events', '/elsewhere'))).status).toBe(404);
    const body = slashCommandBody({
      user: NOBODY,
      text: 'help',
      responseUrl: slack.fake.responseUrl('dotted'),
    });
    // fetch would normalize the path itself; a raw request sends it as written.
    const { port } = new URL(slack.url);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const headers = signedHeaders(body, { timestamp: now() + 600 });
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/slack/./events', headers },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end(body.raw);
    });
    expect(status).toBe(401);
    await expectNothingDispatched('dotted');
  });
});

describe('retries and duplicates', () => {
  const retryHeaders = { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' };

  it('answers a slash command delivered twice only once', async () => {
    const id = slack.nextResponseId();
    const body = slashCommandBody({ user: NOBODY, text: 'whoami', responseUrl: slack.fake.responseUrl(id) });
    const first = await sendSigned(slack.url, body);
    const retry = await sendSigned(slack.url, body, { headers: retryHeaders });
    expect([first.status, retry.status]).toEqual([200, 200]);
    await slack.fake.waitForResponse(id);
    await expectNothingDispatched('none');
    expect(slack.fake.responsesTo(id)).toHaveLength(1);
    expect(slack.log.text()).toContain('dropped duplicate slack delivery');
    expect(slack.log.text()).toContain('"retryNum":1');
  });

  it('handles a redelivered event once', async () => {
    const before = slack.fake.callsTo('views.publish').length;
    const body = eventBody(
      { type: 'app_home_opened', user: NOBODY, channel: 'D0NOBODY', tab: 'home' },
      'Ev0REPEAT',
    );
    expect((await sendSigned(slack.url, body)).status).toBe(200);
    expect((await sendSigned(slack.url, body, { headers: retryHeaders })).status).toBe(200);
    await slack.fake.waitFor('views.publish', (c) => c.args.user_id === NOBODY);
    await expectNothingDispatched('none');
    expect(slack.fake.callsTo('views.publish').length - before).toBe(1);
  });
});
