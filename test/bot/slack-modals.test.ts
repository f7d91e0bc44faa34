import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metadataKey, signMetadata } from '../../src/bot/slack/modal-metadata.js';
import { ANSWER, NODE_SET, REVISION } from '../../src/bot/slack/modal-views.js';
import type { SlackCall } from '../fakes/slack-api.js';
import {
  blockSuggestionBody,
  type OpenedView,
  picked,
  shortcutBody,
  typed,
  viewSubmissionBody,
} from '../support/slack-interactions.js';
import { type SlackReviewWorld, startSlackReviewWorld, TOKEN } from '../support/slack-review-world.js';
import { blockActionBody, slashCommandBody, triggerId } from '../support/slack-signing.js';

/**
 * Modals end to end over HTTP (issue 11 §1): signed clicks, submissions and suggestions through
 * Bolt, views.open recorded by the fake Slack, a real review on the SSH fleet and real plans.
 */

let world: SlackReviewWorld;
let sha: string;

type Element = {
  type?: string;
  action_id?: string;
  value?: string;
  text?: { text?: string };
  confirm?: Record<string, { text?: string }>;
};

const buttonsOf = (blocks: Record<string, unknown>[]): Element[] =>
  blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements as Element[]);

const reviewOf = async () => {
  const record = await world.app.services.reviews?.get(sha);
  if (!record) throw new Error('no review');
  return record;
};

/** Clicks the review's Deny as `user`; the view Slack opened for the click's trigger. */
const clickDeny = async (user: string): Promise<OpenedView> => {
  const message = world.latestMessage(sha.slice(0, 7));
  const deny = buttonsOf(message.blocks).find((b) => b.text?.text === 'Deny');
  if (!deny?.action_id) throw new Error('no Deny button');
  const trigger = triggerId();
  const body = blockActionBody({
    user,
    button: { action_id: deny.action_id, value: deny.value ?? '', text: deny.text },
    channel: message.channel,
    messageTs: message.ts,
    blocks: message.blocks,
    triggerId: trigger,
    responseUrl: world.fake.responseUrl(`click-${trigger}`),
  });
  expect((await world.send(body)).status).toBe(200);
  const opened = await world.fake.waitFor('views.open', (c) => c.args.trigger_id === trigger);
  expect(opened.answer?.ok).toBe(true);
  return (opened.answer?.view ?? {}) as OpenedView;
};

/** Submits a view; Slack's reading of the answer: errors shown in the modal, or closed. */
const submit = async (user: string, view: OpenedView, values: Parameters<typeof viewSubmissionBody>[2]) => {
  const response = await world.send(viewSubmissionBody(user, view, values));
  expect(response.status).toBe(200);
  const text = await response.text();
  return (text === '' ? {} : JSON.parse(text)) as {
    response_action?: string;
    errors?: Record<string, string>;
  };
};

const plansPosted = () =>
  world.fake.calls.filter(
    (c: SlackCall) => c.method === 'chat.postMessage' && String(c.args.text).startsWith('Apply plan'),
  );

beforeAll(async () => {
  world = await startSlackReviewWorld('modals');
  sha = world.repo.commits.feature;
  await world.app.dispatcher.dispatch({
    text: `noop ${sha}`,
    user: 'U0ADMIN',
    channel: 'C1',
    respond: async () => {},
  });
  expect((await reviewOf()).decisions).toEqual([]);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('the review message', () => {
  it('asks before Approve and Deny, within the confirm limits, and Deny asks for a reason', () => {
    const buttons = buttonsOf(world.latestMessage(sha.slice(0, 7)).blocks);
    const approve = buttons.find((b) => b.text?.text === 'Approve');
    const deny = buttons.find((b) => b.text?.text === 'Deny');
    for (const button of [approve, deny]) {
      expect(button?.confirm?.title?.text).toMatch(/^(Approve|Deny) [0-9a-f]{7}\?$/);
      expect((button?.confirm?.title?.text ?? '').length).toBeLessThanOrEqual(100);
      expect((button?.confirm?.text?.text ?? '').length).toBeLessThanOrEqual(300);
      expect((button?.confirm?.confirm?.text ?? '').length).toBeLessThanOrEqual(30);
    }
    expect(approve?.action_id).toMatch(/^heckler:/);
    expect(deny?.action_id).toMatch(/^heckler-ask:/);
    expect(JSON.parse(deny?.value ?? '{}').command).toMatch(new RegExp(`^deny ${sha}@[0-9a-f]+$`));
  });
});

describe('the Deny modal', () => {
  it('opens with the click’s trigger_id: one multiline answer, title and buttons within Slack’s limits', async () => {
    const view = await clickDeny('U0CAROL');
    expect(view.callback_id).toBe('heckler_ask');
    expect((view.title as { text: string }).text).toBe(`Deny ${sha.slice(0, 7)}`);
    const [input] = view.blocks as {
      type: string;
      block_id: string;
      element: { type: string; multiline: boolean };
    }[];
    expect(input).toMatchObject({
      type: 'input',
      block_id: ANSWER.block,
      element: { type: 'plain_text_input', multiline: true },
    });
    expect((view.private_metadata ?? '').length).toBeLessThanOrEqual(3000);
    // Nothing is decided by opening it.
    expect((await reviewOf()).decisions).toEqual([]);
  });

  it('refuses a blank or oversized reason in the modal', async () => {
    const view = await clickDeny('U0CAROL');
    expect(
      await submit('U0CAROL', view, { [ANSWER.block]: { [ANSWER.action]: typed('   ') } }),
    ).toMatchObject({
      response_action: 'errors',
      errors: { [ANSWER.block]: expect.stringContaining('answer is needed') },
    });
    const huge = 'x'.repeat(5000);
    expect(await submit('U0CAROL', view, { [ANSWER.block]: { [ANSWER.action]: typed(huge) } })).toMatchObject(
      {
        response_action: 'errors',
        errors: { [ANSWER.block]: expect.stringContaining('2000') },
      },
    );
    expect((await reviewOf()).decisions).toEqual([]);
  });

  it('refuses a submission by someone other than who opened it', async () => {
    const view = await clickDeny('U0CAROL');
    const answer = await submit('U0MALLORY', view, {
      [ANSWER.block]: { [ANSWER.action]: typed('mine now') },
    });
    expect(answer.errors?.[ANSWER.block]).toContain('opened by someone else');
    expect((await reviewOf()).decisions).toEqual([]);
    expect(world.log.text()).toContain('refused a modal submission from another user');
  });

  it('refuses tampered metadata: a swapped command, a foreign signature, garbage', async () => {
    const view = await clickDeny('U0CAROL');
    const [body = '', signature = ''] = (view.private_metadata ?? '').split('.');
    const decoded = JSON.parse(Buffer.from(body, 'base64url').toString());
    const swapped = Buffer.from(JSON.stringify({ ...decoded, command: `approve ${sha}` })).toString(
      'base64url',
    );
    const foreign = signMetadata(metadataKey('xoxb-someone-else'), { ...decoded, command: `approve ${sha}` });
    for (const metadata of [`${swapped}.${signature}`, foreign, 'garbage', '']) {
      const answer = await submit(
        'U0CAROL',
        { ...view, private_metadata: metadata },
        {
          [ANSWER.block]: { [ANSWER.action]: typed('looks fine') },
        },
      );
      expect(answer.errors?.[ANSWER.block]).toContain('could not be verified');
    }
    expect((await reviewOf()).decisions).toEqual([]);
  });

  it('answers a submitter who may not deny privately, and records nothing', async () => {
    const view = await clickDeny('U0CAROL');
    expect(await submit('U0CAROL', view, { [ANSWER.block]: { [ANSWER.action]: typed('no') } })).toEqual({});
    await world.fake.waitFor(
      'chat.postEphemeral',
      (c) => c.args.user === 'U0CAROL' && String(c.args.text).includes('you do not own'),
    );
    expect((await reviewOf()).decisions).toEqual([]);
  });

  it('denies with the typed reason, quotes, flags and mrkdwn kept as words, through the parser', async () => {
    const view = await clickDeny('U0ADMIN');
    const reason = `don't ship: "workers 4" breaks <!channel> --force\nsee *ops*`;
    expect(await submit('U0ADMIN', view, { [ANSWER.block]: { [ANSWER.action]: typed(reason) } })).toEqual({});
    const updated = await world.fake.waitFor(
      'chat.update',
      (c) => String(c.args.text ?? '').startsWith(sha.slice(0, 7)) && String(c.args.text).includes('enied'),
    );
    const [decision] = (await reviewOf()).decisions;
    expect(decision).toMatchObject({ verdict: 'deny', user: 'U0ADMIN', via: 'button' });
    // White space runs become one space, as for a typed command; everything else arrives as typed.
    expect(decision?.reason).toBe(`don't ship: "workers 4" breaks <!channel> --force see *ops*`);
    // The reason shown in Slack is escaped: no one was notified.
    expect(JSON.stringify(updated.args.blocks)).not.toContain('<!channel>');
    expect(buttonsOf(updated.args.blocks as Record<string, unknown>[])).toEqual([]);
  });
});

describe('the apply modal', () => {
  const openApply = async (user: string, via: 'slash' | 'shortcut') => {
    const trigger = triggerId();
    const body =
      via === 'slash'
        ? slashCommandBody({
            user,
            text: 'apply',
            responseUrl: world.fake.responseUrl(`apply-${trigger}`),
            triggerId: trigger,
          })
        : shortcutBody(user, 'heckler_apply', trigger);
    expect((await world.send(body)).status).toBe(200);
    return trigger;
  };
  const viewFor = async (trigger: string): Promise<OpenedView> =>
    ((await world.fake.waitFor('views.open', (c) => c.args.trigger_id === trigger)).answer?.view ??
      {}) as OpenedView;

  it('opens on `/heckler apply` without a revision: a revision picker fed from the mirror and the node sets', async () => {
    const view = await viewFor(await openApply('U0ALICE', 'slash'));
    expect(view.callback_id).toBe('heckler_apply_form');
    const blocks = view.blocks as {
      block_id?: string;
      element?: { type: string; options?: { value: string }[] };
    }[];
    expect(blocks.find((b) => b.block_id === REVISION.block)?.element?.type).toBe('external_select');
    expect(blocks.find((b) => b.block_id === NODE_SET.block)?.element?.options?.map((o) => o.value)).toEqual([
      'all',
      'canaries',
    ]);

    const suggest = async (value: string) => {
      const response = await world.send(blockSuggestionBody('U0ALICE', view, REVISION, value));
      return ((await response.json()) as { options: { text: { text: string }; value: string }[] }).options;
    };
    const all = await suggest('');
    expect(all.map((o) => o.value)).toEqual(expect.arrayContaining(['main', 'v1', 'v1.1', 'v2']));
    expect((await suggest('v1')).map((o) => o.value)).toEqual(expect.arrayContaining(['v1', 'v1.1']));
    // Typed text that resolves (a short SHA) is offered first; text that does not is not offered.
    const short = world.repo.commits.coauthored.slice(0, 9);
    expect((await suggest(short))[0]?.value).toBe(short);
    expect(await suggest('nope-not-a-rev')).toEqual([]);
    expect(await suggest('v1;reboot')).toEqual([]);
  });

  it('shows an unknown or hostile revision as an error in the modal, and plans nothing', async () => {
    const view = await viewFor(await openApply('U0ALICE', 'slash'));
    const before = plansPosted().length;
    for (const revision of ['v9', 'v1;reboot', '$(reboot)', '--force', 'v1 --force', '<!channel>']) {
      const answer = await submit('U0ALICE', view, {
        [REVISION.block]: { [REVISION.action]: picked('external_select', revision) },
        [NODE_SET.block]: { [NODE_SET.action]: picked('static_select', 'all') },
      });
      expect(answer.response_action).toBe('errors');
      expect(Object.keys(answer.errors ?? {})).toEqual([REVISION.block]);
      expect(answer.errors?.[REVISION.block]?.length).toBeLessThanOrEqual(300);
    }
    const unknown = await submit('U0ALICE', view, {
      [REVISION.block]: { [REVISION.action]: picked('external_select', 'v9') },
      [NODE_SET.block]: { [NODE_SET.action]: picked('static_select', 'all') },
    });
    expect(unknown.errors?.[REVISION.block]).toContain('v9');
    const forgedSet = await submit('U0ALICE', view, {
      [REVISION.block]: { [REVISION.action]: picked('external_select', 'v2') },
      [NODE_SET.block]: { [NODE_SET.action]: picked('static_select', 'nosuchset') },
    });
    expect(forgedSet.errors?.[REVISION.block]).toContain('nosuchset');
    expect(plansPosted().length).toBe(before);
  });

  it('says what to type when Slack will not open the form (an expired trigger)', async () => {
    world.fake.failNext('views.open', 'expired_trigger_id');
    const trigger = await openApply('U0ALICE', 'slash');
    const answer = await world.fake.waitForResponse(`apply-${trigger}`, (p) =>
      String(p.body.text).includes('did not open the apply form'),
    );
    expect(String(answer.body.text)).toContain('/heckler apply REV');
  });

  it('refuses a user without the applier role: no modal for them, and a forged submission errors in the modal', async () => {
    const before = world.fake.callsTo('views.open').length;
    const trigger = await openApply('U0NOBODY', 'shortcut');
    await world.fake.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'U0NOBODY' && String(c.args.text).includes('applier'),
    );
    expect(world.fake.callsTo('views.open').filter((c) => c.args.trigger_id === trigger)).toEqual([]);
    expect(world.fake.callsTo('views.open').length).toBe(before);
    // Someone holding the bot's own key still cannot get past authorization.
    const metadata = signMetadata(metadataKey(TOKEN), { form: 'apply', user: 'U0NOBODY' });
    const answer = await submit(
      'U0NOBODY',
      { callback_id: 'heckler_apply_form', type: 'modal', private_metadata: metadata },
      {
        [REVISION.block]: { [REVISION.action]: picked('external_select', 'v2') },
        [NODE_SET.block]: { [NODE_SET.action]: picked('static_select', 'all') },
      },
    );
    expect(answer.errors?.[REVISION.block]).toContain('needs the applier role');
    expect(plansPosted().filter((c) => JSON.stringify(c.args).includes('U0NOBODY'))).toEqual([]);
  });

  it('opens from the "Apply a revision" shortcut, and Submit makes the same plan as the typed command', async () => {
    const view = await viewFor(await openApply('U0ALICE', 'shortcut'));
    const before = plansPosted().length;
    expect(
      await submit('U0ALICE', view, {
        [REVISION.block]: { [REVISION.action]: picked('external_select', 'v2') },
        [NODE_SET.block]: { [NODE_SET.action]: picked('static_select', 'canaries') },
      }),
    ).toEqual({});
    const plan = await world.fake.waitFor(
      'chat.postMessage',
      (c) => String(c.args.text).startsWith('Apply plan') && plansPosted().indexOf(c) >= before,
    );
    expect(plan.args.channel).toBe('CAPPLY');
    expect(String(plan.args.text)).toMatch(/^Apply plan #\d+: v2 on 1 node/);
    await world.app.dispatcher.dispatch({
      text: 'apply v2 --set canaries',
      user: 'U0ALICE',
      channel: 'C1',
      respond: async () => {},
    });
    const plans = plansPosted().slice(before);
    expect(plans).toHaveLength(2);
    const [fromModal, fromTyped] = plans.map((c) => String(c.args.text).replace(/#\d+/, '#N'));
    expect(fromModal).toBe(fromTyped);
  });
});
