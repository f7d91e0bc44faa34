import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  APPLIER,
  NOBODY,
  type SlackHarness,
  startSlackHarness,
  TOKEN,
} from '../support/slack-harness.js';
import { blockActionBody, eventBody, sendSigned } from '../support/slack-signing.js';

let slack: SlackHarness;

beforeAll(async () => {
  slack = await startSlackHarness('slack-app-test');
});

afterAll(async () => {
  await slack?.stop();
});

const answerText = async (id: string) => JSON.stringify((await slack.fake.waitForResponse(id)).body);

describe('slash commands', () => {
  it('acks /heckler help with an empty 200 and answers privately with the commands the user may run', async () => {
    const { response, id } = await slack.slash(NOBODY, 'help');
    // Bolt answers 404 when ack() comes later than ~3 s, so a 200 means the ack was in time.
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    const answer = await slack.fake.waitForResponse(id);
    expect(answer.body.response_type).toBe('ephemeral');
    const text = JSON.stringify(answer.body);
    for (const name of ['help', 'whoami', 'version']) expect(text).toContain(`/heckler ${name}`);
    expect(text).not.toContain('rotate-secrets');
    expect(answer.body.blocks).toContainEqual(
      expect.objectContaining({
        type: 'actions',
        elements: expect.arrayContaining([expect.objectContaining({ type: 'button', value: 'help whoami' })]),
      }),
    );
  });

  it('shows an admin more commands than a user without roles', async () => {
    const { id } = await slack.slash(ADMIN, 'help');
    expect(await answerText(id)).toContain('/heckler rotate-secrets');
  });

  it('answers whoami with the user and their roles', async () => {
    const { id } = await slack.slash(APPLIER, 'whoami');
    const text = await answerText(id);
    expect(text).toContain(`<@${APPLIER}>`);
    expect(text).toContain('applier');
  });

  it('answers an unknown command with a "did you mean" usage error', async () => {
    const { id } = await slack.slash(NOBODY, 'whoamii');
    const answer = await slack.fake.waitForResponse(id);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(answer.body.text).toContain("unknown command 'whoamii' (did you mean 'whoami'?)");
  });
});

describe('button clicks', () => {
  type Button = { action_id: string; value: string };
  const helpButtons = async (user: string) => {
    const { id } = await slack.slash(user, 'help');
    const blocks = (await slack.fake.waitForResponse(id)).body.blocks as {
      type: string;
      elements?: Button[];
    }[];
    return { blocks, buttons: blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : [])) };
  };
  const click = async (user: string, button: Button, blocks: unknown[]) => {
    const id = slack.nextResponseId();
    const responseUrl = slack.fake.responseUrl(id);
    const response = await sendSigned(slack.url, blockActionBody({ user, button, responseUrl, blocks }));
    expect(response.status).toBe(200);
    return slack.fake.waitForResponse(id);
  };

  it("runs a help button's command as the clicking user and answers privately", async () => {
    const { blocks, buttons } = await helpButtons(NOBODY);
    const whoamiButton = buttons.find((b) => b.value === 'help whoami');
    expect(whoamiButton?.action_id).toMatch(/^heckler:\d+$/);
    const answer = await click(APPLIER, whoamiButton!, blocks);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(JSON.stringify(answer.body)).toContain('Show your user id and the roles you hold');
  });

  it('refuses privately when the clicker lacks the role the button needs', async () => {
    const { blocks, buttons } = await helpButtons(ADMIN);
    const adminButton = buttons.find((b) => b.value === 'help rotate-secrets');
    expect(adminButton).toBeDefined();
    const refused = await click(NOBODY, adminButton!, blocks);
    expect(refused.body.response_type).toBe('ephemeral');
    expect(refused.body.text).toContain('`rotate-secrets` needs the admin role; your roles: none');
    const allowed = await click(ADMIN, adminButton!, blocks);
    expect(JSON.stringify(allowed.body)).toContain('An admin-only command for the role filter');
  });
});

describe('App Home', () => {
  it('answers a click in the Home tab (which has no response_url) in the app DM', async () => {
    const body = eventBody({ type: 'app_home_opened', user: APPLIER, channel: 'D0APPLIER', tab: 'home' });
    await sendSigned(slack.url, body);
    const publish = await slack.fake.waitFor('views.publish', (c) => c.args.user_id === APPLIER);
    const view = publish.args.view as {
      blocks: { type: string; elements?: { action_id: string; value: string }[] }[];
    };
    const button = view.blocks.flatMap((b) => b.elements ?? []).find((e) => e.value === 'help whoami');
    expect(button).toBeDefined();
    const click = blockActionBody({ user: APPLIER, button: button!, where: 'home', blocks: view.blocks });
    expect((await sendSigned(slack.url, click)).status).toBe(200);
    const dm = await slack.fake.waitFor('chat.postMessage', (c) => c.args.channel === APPLIER);
    expect(JSON.stringify(dm.args.blocks)).toContain('Show your user id and the roles you hold');
  });

  it('publishes the help for the user who opened the home tab', async () => {
    const body = eventBody({ type: 'app_home_opened', user: ADMIN, channel: 'D0ADMIN', tab: 'home' });
    expect((await sendSigned(slack.url, body)).status).toBe(200);
    const call = await slack.fake.waitFor('views.publish', (c) => c.args.user_id === ADMIN);
    expect(call.token).toBe(TOKEN);
    const view = call.args.view as { type: string; blocks: unknown[] };
    expect(view.type).toBe('home');
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('Heckler commands');
    expect(text).toContain('/heckler rotate-secrets');
    expect(text).toContain('roles: admin, applier, approver, builder');
  });

  it('shows a user without roles only what they may run', async () => {
    const body = eventBody({ type: 'app_home_opened', user: NOBODY, channel: 'D0NOBODY', tab: 'home' });
    await sendSigned(slack.url, body);
    const call = await slack.fake.waitFor('views.publish', (c) => c.args.user_id === NOBODY);
    const text = JSON.stringify(call.args.view);
    expect(text).toContain('/heckler whoami');
    expect(text).not.toContain('rotate-secrets');
  });
});
