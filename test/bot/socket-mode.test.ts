import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TOKEN } from '../fakes/slack-socket-mode.js';
import { ADMIN, APPLIER, NOBODY, TOKEN } from '../support/slack-harness.js';
import { eventBody } from '../support/slack-signing.js';
import { type SocketHarness, startSocketHarness } from '../support/slack-socket-harness.js';

/**
 * The bot in Socket Mode end to end: the real Bolt SocketModeReceiver and @slack/socket-mode client
 * against a fake Slack speaking the envelope protocol over a real WebSocket on loopback.
 */
let slack: SocketHarness;

beforeAll(async () => {
  slack = await startSocketHarness('socket-mode-test');
});

afterAll(async () => {
  await slack?.stop();
});

/** Slack gives up on an envelope not acked within 3 s and shows the user an error. */
const SLACK_ACK_BUDGET_MS = 3000;

describe('connecting', () => {
  it('asks slack.apiUrl for the socket with the app-level token, and the bot token for nothing else', () => {
    // One at the start-up check (its URL left to expire), one by the client that connects.
    const opens = slack.fake.callsTo('apps.connections.open');
    expect(opens).toHaveLength(2);
    for (const open of opens) expect(open).toMatchObject({ token: APP_TOKEN, answer: { ok: true } });
    expect(slack.fake.callsTo('auth.test')).toEqual([expect.objectContaining({ token: TOKEN })]);
    expect(slack.socket.connections).toHaveLength(1);
    expect(slack.socket.refused).toEqual([]);
    expect(slack.app.surface.connected()).toBe(true);
  });

  it('logs the connection and never writes either token', () => {
    const text = slack.log.text();
    expect(text).toContain('slack socket mode connected');
    expect(text).not.toContain(APP_TOKEN);
    expect(text).not.toContain(TOKEN);
  });
});

describe('a slash command', () => {
  it('is acked inside its envelope with an empty payload, then answered privately on its response_url', async () => {
    const { envelope, ack, id } = slack.slash(NOBODY, 'help');
    const acked = await ack;
    expect(acked).toMatchObject({ envelope_id: envelope.envelope_id, payload: {}, connection: 1 });
    expect(acked.ms).toBeLessThan(SLACK_ACK_BUDGET_MS);
    const answer = await slack.answer(id);
    expect(answer.body.response_type).toBe('ephemeral');
    const text = JSON.stringify(answer.body);
    for (const name of ['help', 'whoami', 'version']) expect(text).toContain(`/heckler ${name}`);
    expect(text).not.toContain('rotate-secrets');
    // One ack, nothing else sent back over the socket.
    expect(slack.socket.acksOf(envelope.envelope_id)).toHaveLength(1);
    expect(slack.socket.unexpected).toEqual([]);
  });

  it('runs as the user in the payload, with their roles', async () => {
    const { id, ack } = slack.slash(APPLIER, 'whoami');
    await ack;
    const text = JSON.stringify((await slack.answer(id)).body);
    expect(text).toContain(`<@${APPLIER}>`);
    expect(text).toContain('applier');
  });
});

describe('a button click (interactive block_actions)', () => {
  type Button = { action_id: string; value: string };
  const helpButtons = async (user: string) => {
    const { id } = slack.slash(user, 'help');
    const blocks = (await slack.answer(id)).body.blocks as {
      type: string;
      elements?: Button[];
    }[];
    return { blocks, buttons: blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : [])) };
  };

  it("is acked, then runs the button's command as the clicking user and answers privately", async () => {
    const { blocks, buttons } = await helpButtons(NOBODY);
    const whoami = buttons.find((b) => b.value === 'help whoami');
    expect(whoami?.action_id).toMatch(/^heckler:\d+$/);
    const { envelope, ack, id } = slack.click({ user: APPLIER, button: whoami!, blocks });
    const acked = await ack;
    expect(acked).toMatchObject({ envelope_id: envelope.envelope_id, payload: {} });
    expect(acked.ms).toBeLessThan(SLACK_ACK_BUDGET_MS);
    const answer = await slack.answer(id);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(answer.body)).toContain('Show your user id and the roles you hold');
  });

  it('refuses a clicker without the role the button needs', async () => {
    const { blocks, buttons } = await helpButtons(ADMIN);
    const adminButton = buttons.find((b) => b.value === 'help rotate-secrets');
    const refused = slack.click({ user: NOBODY, button: adminButton!, blocks });
    await refused.ack;
    expect((await slack.answer(refused.id)).body.text).toContain(
      '`rotate-secrets` needs the admin role; your roles: none',
    );
  });
});

describe('an Events API event (app_home_opened)', () => {
  it('is acked and publishes a Home tab for the user who opened it', async () => {
    const body = JSON.parse(
      eventBody({ type: 'app_home_opened', user: ADMIN, channel: 'D0ADMIN', tab: 'home' }).raw,
    ) as unknown;
    const { envelope, ack } = slack.envelope('events_api', body);
    expect(envelope.accepts_response_payload).toBe(false);
    await ack;
    const publish = await slack.fake.waitFor('views.publish', (c) => c.args.user_id === ADMIN);
    expect(publish.token).toBe(TOKEN);
    // What the tab shows is App Home's own test; here, that the event got through the socket.
    expect(publish.args.view).toMatchObject({ type: 'home' });
  });
});

describe('the fake itself', () => {
  it('refuses a socket whose ticket it never issued or already used, before the upgrade', async () => {
    const { WebSocket } = await import('ws');
    const status = (url: string) =>
      new Promise<number | undefined>((resolve) => {
        const client = new WebSocket(url);
        client.once('unexpected-response', (_req, res) => resolve(res.statusCode));
        client.once('open', () => {
          client.close();
          resolve(undefined);
        });
      });
    // The client's ticket, the last handed out (the start-up check's came first, unused).
    const issued = slack.socket.issued.at(-1)!;
    expect(await status(`${slack.socket.url}?ticket=forged&app_id=A0TEST`)).toBe(401);
    expect(await status(`${slack.socket.url}?ticket=${issued}&app_id=A0TEST`)).toBe(401);
    expect(slack.socket.refused).toEqual(['forged', issued]);
  });
});
