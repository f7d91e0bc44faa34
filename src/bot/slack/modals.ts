import type {
  App,
  BlockAction,
  SlackViewAction,
  ViewResponseAction,
  ViewSubmitAction,
  webApi,
} from '@slack/bolt';
import { withRestArgument } from '../../commands/command-line.js';
import type { FormName } from '../../commands/forms.js';
import type { ChatRequest } from '../../commands/types.js';
import { HecklerError } from '../../engine/errors.js';
import type { Message } from '../../engine/ports/message.js';
import { ASK_PREFIX, parseAskValue } from '../render/blocks.js';
import { callSlack } from './call.js';
import type { ListenerDeps } from './listeners.js';
import { type ModalMetadata, metadataKey, signMetadata, verifyMetadata } from './modal-metadata.js';
import {
  ANSWER,
  APPLY_CALLBACK,
  APPLY_SHORTCUT,
  ASK_CALLBACK,
  applyModal,
  askModal,
  MAX_ANSWER,
  modalError,
  NODE_SET,
  REVISION,
  selectOptions,
  submitted,
} from './modal-views.js';

/**
 * Modals (issue 11 §1): a button that asks (Deny's reason), `/heckler apply` without a revision and
 * the "Apply a revision" shortcut. No business logic: a submission becomes a command line, checked
 * by the dispatcher (parser, authorization, the command's own `check`) before the modal closes, so
 * errors show in the modal; then dispatched exactly like a typed command. Bolt routes actions, views
 * and options the same over HTTP and Socket Mode.
 */

type ViewsClient = Pick<webApi.WebClient, 'views'>;

/** Opens a form for one request: what `ChatRequest.openForm` is in Slack. */
export type FormOpener = (
  trigger: string,
  user: string,
  channel: string | undefined,
) => ChatRequest['openForm'];

const refused = (text: string): Message => ({
  text,
  blocks: [{ kind: 'section', text: `:warning: ${text}` }],
});

export const registerModals = (app: App, deps: ListenerDeps): FormOpener => {
  const { dispatcher, logger } = deps;
  // Bolt's App holds the bot token on its client; every replica derives the same key from it.
  const key = metadataKey(app.client.token ?? '');

  /** Answers the person privately where they acted: a whisper in the channel, else the app's DM. */
  const answerTo = (user: string, channel: string | undefined) => async (message: Message) => {
    if (channel && /^[CG]/.test(channel)) await deps.chat.whisper(channel, user, message);
    else await deps.chat.post(user, message);
  };

  const open = async (
    client: ViewsClient,
    trigger: string,
    view: Parameters<ViewsClient['views']['open']>[0]['view'],
  ) => {
    await callSlack('views.open', () => client.views.open({ trigger_id: trigger, view }));
  };

  const openForm: FormOpener = (trigger, user, channel) => async (form: FormName) => {
    const metadata: ModalMetadata = { form, user, ...(channel ? { channel } : {}) };
    try {
      await open(
        app.client,
        trigger,
        applyModal(dispatcher.forms?.sets() ?? [], signMetadata(key, metadata)),
      );
    } catch (error) {
      // A trigger lives 3 s: past it (a slow turn, Slack's retry) the typed form still works.
      logger.warn({ err: error, user }, 'could not open the apply form');
      throw new HecklerError('CHAT_UNAVAILABLE', 'Slack did not open the apply form', {
        hint: 'type `/heckler apply REV` (for example `/heckler apply v2.1 --set canaries`)',
      });
    }
  };

  /**
   * The submission's metadata, verified and from the user who opened the modal; otherwise the
   * words the modal shows. Nothing of a refused submission reaches the dispatcher.
   */
  const trusted = (view: SlackViewAction['view'], user: string, form: ModalMetadata['form']) => {
    const metadata = verifyMetadata(key, view.private_metadata);
    if (!metadata || metadata.form !== form) {
      logger.warn(
        { user, callback: view.callback_id },
        'refused a modal submission: metadata not signed by this bot',
      );
      return {
        error: 'This form could not be verified (it was changed on the way). Close it and start again.',
      };
    }
    if (metadata.user !== user) {
      logger.warn({ user, opener: metadata.user }, 'refused a modal submission from another user');
      return { error: 'This form was opened by someone else: only they can submit it.' };
    }
    return { metadata };
  };

  /** Checks the line; errors go back into the modal, else it closes and the line runs as typed. */
  const submit = async (
    ack: (response?: ViewResponseAction) => Promise<void>,
    block: string,
    request: ChatRequest,
  ): Promise<void> => {
    const problem = await dispatcher.check?.(request);
    if (problem) {
      await ack({ response_action: 'errors', errors: { [block]: modalError(problem) } });
      return;
    }
    await ack();
    deps.track(dispatcher.dispatch(request));
  };

  app.action<BlockAction>(new RegExp(`^${ASK_PREFIX}`), async ({ ack, body, action, client }) => {
    await ack();
    if (action.type !== 'button') return;
    const user = body.user.id;
    const asked = parseAskValue(action.value);
    const container = body.container as { channel_id?: string; message_ts?: string };
    const channel = container.channel_id ?? body.channel?.id;
    if (!asked) {
      logger.warn({ user }, 'ignored an asking button click whose value is not one the bot renders');
      await answerTo(user, channel)(refused('That button is not one Heckler made; nothing was done.'));
      return;
    }
    const ts = container.message_ts ?? body.message?.ts;
    const metadata: ModalMetadata = {
      form: 'ask',
      user,
      command: asked.command,
      ...(channel ? { channel } : {}),
      ...(ts ? { ts } : {}),
    };
    await open(client, body.trigger_id, askModal(asked.ask, signMetadata(key, metadata)));
  });

  app.view<ViewSubmitAction>(ASK_CALLBACK, async ({ ack, body, view }) => {
    const user = body.user.id;
    const checked = trusted(view, user, 'ask');
    if (!checked.metadata || checked.metadata.command === undefined) {
      await ack({
        response_action: 'errors',
        errors: { [ANSWER.block]: checked.error ?? 'This form has no command.' },
      });
      return;
    }
    const { command, channel, ts } = checked.metadata;
    const answer = (submitted(view.state, ANSWER) ?? '').trim();
    if (answer === '' || answer.length > MAX_ANSWER) {
      const words = answer === '' ? 'An answer is needed.' : `At most ${MAX_ANSWER} characters, please.`;
      await ack({ response_action: 'errors', errors: { [ANSWER.block]: words } });
      return;
    }
    await submit(ack, ANSWER.block, {
      text: withRestArgument(command, answer),
      user,
      channel: channel ?? user,
      respond: answerTo(user, channel),
      ...(channel && ts ? { source: { channel, ts } } : {}),
    });
  });

  app.view<ViewSubmitAction>(APPLY_CALLBACK, async ({ ack, body, view }) => {
    const user = body.user.id;
    const checked = trusted(view, user, 'apply');
    if (!checked.metadata) {
      await ack({ response_action: 'errors', errors: { [REVISION.block]: checked.error } });
      return;
    }
    const revision = submitted(view.state, REVISION) ?? '';
    const set = submitted(view.state, NODE_SET) ?? 'all';
    // One word each, never a flag: what was picked cannot add words to the command.
    const word = /^[^\s-][^\s]*$/u;
    if (!word.test(revision) || !word.test(set)) {
      const field = word.test(revision) ? NODE_SET.block : REVISION.block;
      await ack({
        response_action: 'errors',
        errors: { [field]: 'Pick one from the list, or type a tag, branch or SHA.' },
      });
      return;
    }
    const { channel } = checked.metadata;
    await submit(ack, REVISION.block, {
      text: `apply ${withRestArgument(`--set ${set}`, revision)}`,
      user,
      channel: channel ?? user,
      respond: answerTo(user, channel),
    });
  });

  app.options(REVISION.action, async ({ ack, body }) => {
    const query = typeof body.value === 'string' ? body.value : '';
    const choices =
      (await dispatcher.forms?.revisions(query.slice(0, 200)).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not list revisions for the apply form');
        return [];
      })) ?? [];
    await ack({ options: selectOptions(choices) });
  });

  app.shortcut(APPLY_SHORTCUT, async ({ ack, body }) => {
    await ack();
    const user = body.user.id;
    // Through the dispatcher, so a user without the applier role is told so instead of shown a form.
    deps.track(
      dispatcher.dispatch({
        text: 'apply',
        user,
        channel: user,
        respond: answerTo(user, undefined),
        openForm: openForm(body.trigger_id, user, undefined),
      }),
    );
  });

  return openForm;
};
