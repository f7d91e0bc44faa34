import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER, APPLY_SHORTCUT, ASK_CALLBACK, REVISION } from '../../src/bot/slack/modal-views.js';
import type { CommandSpec } from '../../src/commands/types.js';
import { HecklerError } from '../../src/engine/errors.js';
import type { SlackCall } from '../fakes/slack-api.js';
import { APPLIER, NOBODY } from '../support/slack-harness.js';
import { triggerId } from '../support/slack-signing.js';
import { type SocketHarness, startSocketHarness } from '../support/slack-socket-harness.js';

/**
 * A modal through Socket Mode end to end: a button that asks opens a modal (views.open with the
 * click's trigger_id), and its view_submission comes back in an `interactive` envelope whose ack
 * carries Slack's answer: `response_action: errors` keeps the modal open with the error, an empty
 * ack closes it and the command runs — once, however often the envelope arrives.
 */
let slack: SocketHarness;
const notes: string[] = [];

/** Answers with a button that asks for a note before running `note`. */
const asker: CommandSpec = {
  name: 'asker',
  summary: 'Offers a button that asks for a note',
  args: [],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['asker'],
  async run(ctx) {
    const ask = { title: 'Add a note', label: 'What should it say?', submit: 'Save' };
    await ctx.respond({
      text: 'Add a note?',
      blocks: [{ kind: 'actions', buttons: [{ label: 'Note', command: 'note', ask }] }],
    });
  },
};

/** Keeps its text; refuses, before running, a text that says "forbidden". */
const note: CommandSpec = {
  name: 'note',
  summary: 'Keeps a note',
  args: [{ name: 'text', description: 'the note', required: true, rest: true }],
  flags: [],
  role: 'anyone',
  sideEffects: true,
  examples: ['note hello'],
  async check(_ctx, call) {
    if (call.args.text?.includes('forbidden')) throw new HecklerError('USAGE', 'that note is not allowed');
  },
  async run(ctx, call) {
    notes.push(call.args.text ?? '');
    await ctx.respond({ text: `noted: ${call.args.text}`, blocks: [] });
  },
};

beforeAll(async () => {
  slack = await startSocketHarness('socket-mode-modal', { commands: [asker, note] });
});

afterAll(async () => {
  await slack?.stop();
});

type Opened = { id: string; callback_id: string; private_metadata: string; type: string; blocks: unknown[] };

/** Clicks the asking button of a fresh `asker` answer; resolves with the views.open call it made. */
const openModal = async (): Promise<{ call: SlackCall; view: Opened; trigger: string }> => {
  const { id } = slack.slash(APPLIER, 'asker');
  const blocks = (await slack.answer(id)).body.blocks as {
    elements?: { action_id: string; value: string }[];
  }[];
  const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id.startsWith('heckler-ask:'));
  expect(button).toBeDefined();
  const trigger = triggerId();
  const click = slack.click({ user: APPLIER, button: button!, blocks, triggerId: trigger });
  expect((await click.ack).payload).toEqual({});
  const call = await slack.fake.waitFor('views.open', (c) => c.args.trigger_id === trigger, 15_000);
  return { call, view: (call.answer as { view: Opened }).view, trigger };
};

/** A view_submission as Slack sends it, the typed answer in the view's state. */
const submission = (view: Opened, text: string, overrides: Partial<Opened> = {}) => ({
  type: 'view_submission',
  team: { id: 'T0TEST', domain: 'heckler-test' },
  user: { id: APPLIER, username: 'abe', name: 'abe', team_id: 'T0TEST' },
  api_app_id: 'A0TEST',
  token: 'gIkuvaNzQIHg97ATvDxqgjtO',
  trigger_id: triggerId(),
  view: {
    ...view,
    ...overrides,
    state: { values: { [ANSWER.block]: { [ANSWER.action]: { type: 'plain_text_input', value: text } } } },
    hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
  },
  response_urls: [],
  is_enterprise_install: false,
  enterprise: null,
});

describe('a modal over Socket Mode', () => {
  it("opens with the click's trigger_id", async () => {
    const { call, view } = await openModal();
    expect(call.token).toBe(slack.fake.tokens[0]);
    expect(view).toMatchObject({ type: 'modal', callback_id: ASK_CALLBACK });
    expect(JSON.stringify(view.blocks)).toContain('What should it say?');
  });

  it('keeps the modal open with the error in the ack when the command refuses the answer, running nothing', async () => {
    const { view } = await openModal();
    const before = notes.length;
    const { ack } = slack.envelope('interactive', submission(view, 'a forbidden note'));
    const acked = await ack;
    expect(acked.payload).toMatchObject({
      response_action: 'errors',
      errors: { [ANSWER.block]: expect.stringContaining('that note is not allowed') },
    });
    await slack.answer(slack.slash(APPLIER, 'whoami').id);
    expect(notes.length).toBe(before);
  });

  it('closes on an empty ack and runs the command once, even when the envelope arrives twice', async () => {
    const { view } = await openModal();
    const text = `ship it ${randomBytes(3).toString('hex')}`;
    const { envelope, ack } = slack.envelope('interactive', submission(view, text));
    expect((await ack).payload).toEqual({});
    const whisper = await slack.fake.waitFor(
      'chat.postEphemeral',
      (c) => JSON.stringify(c.args).includes(`noted: ${text}`),
      15_000,
    );
    expect(whisper.args).toMatchObject({ user: APPLIER });
    const again = await slack.socket.replay(envelope);
    expect(again.payload).toEqual({});
    await slack.answer(slack.slash(APPLIER, 'whoami').id);
    expect(notes.filter((n) => n === text)).toHaveLength(1);
  });

  it('refuses a submission whose private_metadata was changed on the way, running nothing', async () => {
    const { view } = await openModal();
    const before = notes.length;
    const forged = submission(view, 'sneaky', { private_metadata: view.private_metadata.replace(/.$/, 'x') });
    const acked = await slack.envelope('interactive', forged).ack;
    expect(acked.payload).toMatchObject({
      response_action: 'errors',
      errors: { [ANSWER.block]: expect.stringContaining('could not be verified') },
    });
    await slack.answer(slack.slash(APPLIER, 'whoami').id);
    expect(notes.length).toBe(before);
  });
});

describe('the apply shortcut and the revision picker over Socket Mode', () => {
  it('acks a global shortcut and runs apply for the user, who is told what they lack', async () => {
    const shortcut = {
      type: 'shortcut',
      token: 'gIkuvaNzQIHg97ATvDxqgjtO',
      action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
      team: { id: 'T0TEST', domain: 'heckler-test' },
      user: { id: NOBODY, username: 'nob', team_id: 'T0TEST' },
      is_enterprise_install: false,
      enterprise: null,
      callback_id: APPLY_SHORTCUT,
      trigger_id: triggerId(),
    };
    const acked = await slack.envelope('interactive', shortcut).ack;
    expect(acked.payload).toEqual({});
    const dm = await slack.fake.waitFor('chat.postMessage', (c) => c.args.channel === NOBODY, 15_000);
    expect(JSON.stringify(dm.args)).toContain('needs the applier role');
    expect(slack.fake.callsTo('views.open').filter((c) => c.args.trigger_id === shortcut.trigger_id)).toEqual(
      [],
    );
  });

  it("answers a block_suggestion with its options inside the envelope's ack", async () => {
    const suggestion = {
      type: 'block_suggestion',
      user: { id: APPLIER, username: 'abe', team_id: 'T0TEST' },
      container: { type: 'view', view_id: 'V0APPLY' },
      api_app_id: 'A0TEST',
      token: 'gIkuvaNzQIHg97ATvDxqgjtO',
      action_id: REVISION.action,
      block_id: REVISION.block,
      value: 'v1',
      team: { id: 'T0TEST', domain: 'heckler-test' },
      view: {
        id: 'V0APPLY',
        type: 'modal',
        callback_id: 'heckler_apply_form',
        private_metadata: '',
        blocks: [],
      },
    };
    const acked = await slack.envelope('interactive', suggestion).ack;
    // No repository configured here: an empty list, but in the ack, where Slack reads it.
    expect(acked.payload).toEqual({ options: [] });
  });
});
