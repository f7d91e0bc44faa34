import { performance } from 'node:perf_hooks';
import type { App, BlockAction, RespondFn } from '@slack/bolt';
import type { Dispatcher } from '../../commands/dispatch.js';
import type { ChatRequest } from '../../commands/types.js';
import type { Chat, MessageRef } from '../../engine/ports/chat.js';
import type { Logger } from '../../engine/ports/logger.js';
import type { Message } from '../../engine/ports/message.js';
import type { Locks } from '../../engine/ports/store.js';
import { ACTION_PREFIX, toBlockKit } from '../render/blocks.js';
import { registerAppHome } from './app-home.js';
import { slackAckWaits, TurnQueue } from './call.js';
import { registerModals } from './modals.js';

const DEDUP_TTL_MS = 60 * 60 * 1000;
/** A dedup claim must not eat Slack's 3 s ack budget; past this the delivery is processed anyway. */
const CLAIM_TIMEOUT_MS = 1000;

export interface ListenerDeps {
  dispatcher: Dispatcher;
  chat: Chat;
  locks: Locks;
  logger: Logger;
  /** Views API access (views.publish) for the home tab. */
  publishHome(user: string, message: Message): Promise<void>;
  /** Keeps a dispatch that outlives its ack, so stop() can wait for it. */
  track(work: Promise<unknown>): void;
  /**
   * Milliseconds from a command or click reaching Bolt to its ack. Socket Mode only: over HTTP the
   * gated server times the whole request, body and signature included.
   */
  onAck?(ms: number): void;
}

/** When the delivery reached the first middleware (set there, read after the ack). */
const RECEIVED_AT = 'hecklerReceivedAt';

/**
 * A stable id for one delivery, the same on Slack's retries: the event id for events, the trigger
 * id for slash commands, and trigger id plus action time for clicks.
 */
export const deliveryId = (body: unknown): string | undefined => {
  const b = body as { event_id?: unknown; trigger_id?: unknown; actions?: { action_ts?: unknown }[] };
  if (typeof b.event_id === 'string') return `event:${b.event_id}`;
  if (typeof b.trigger_id !== 'string') return undefined;
  const actionTs = b.actions?.[0]?.action_ts;
  return typeof actionTs === 'string' ? `action:${b.trigger_id}:${actionTs}` : `trigger:${b.trigger_id}`;
};

const claimFirst = async (locks: Locks, id: string, log: Logger): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CLAIM_TIMEOUT_MS} ms`)), CLAIM_TIMEOUT_MS);
  });
  try {
    return await Promise.race([locks.claimOnce(`slack:${id}`, DEDUP_TTL_MS), timeout]);
  } catch (error) {
    // Dropping a real command is worse than running a rare duplicate; commands that change
    // things carry their own idempotency (approval records, locks).
    log.warn({ err: error, id }, 'could not record slack delivery; processing it without dedup');
    return true;
  } finally {
    clearTimeout(timer);
  }
};

/** Answers through response_url, privately; parts that do not fit follow as further answers. */
const ephemeral =
  (answers: TurnQueue, respond: RespondFn, extra: { replace_original?: boolean } = {}) =>
  async (message: Message): Promise<void> => {
    const rendered = toBlockKit(message, { continuedIn: 'below' });
    for (const part of [rendered, ...rendered.overflow]) {
      await answers.run(() =>
        respond({ response_type: 'ephemeral', text: part.text, blocks: part.blocks, ...extra }),
      );
    }
  };

/** Registers the dedup middleware, the slash command, button clicks and the App Home tab. */
export const registerListeners = (app: App, deps: ListenerDeps): void => {
  const { dispatcher, logger } = deps;
  // After the ack, commands start and answers go out one per turn of the event loop, once no
  // request waits for its ack (issue 14 §3).
  const commands = new TurnQueue(Number.POSITIVE_INFINITY, slackAckWaits.turn);
  // Not capped: a response_url post has no timeout of its own, and a few stuck ones must not hold the rest.
  const answers = new TurnQueue(Number.POSITIVE_INFINITY, slackAckWaits.turn);

  const acked = (context: Record<string, unknown>) => {
    const at = context[RECEIVED_AT];
    if (deps.onAck && typeof at === 'number') deps.onAck(performance.now() - at);
  };

  app.use(async (args) => {
    args.context[RECEIVED_AT] = performance.now();
    const id = deliveryId(args.body);
    if (id === undefined || (await claimFirst(deps.locks, id, logger))) {
      await args.next();
      return;
    }
    const { retryNum, retryReason } = args.context;
    logger.info({ id, retryNum, retryReason }, 'dropped duplicate slack delivery');
    // Events were acked by Bolt already; commands and clicks still need their ack.
    if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
  });

  // Modals: asking buttons, the apply form and its shortcut; `openForm` lets `/heckler apply` open one.
  const openForm = registerModals(app, deps);

  app.command(/^\/heckler/, async ({ command, ack, respond, context }) => {
    await ack();
    acked(context);
    const request: ChatRequest = {
      text: command.text,
      user: command.user_id,
      channel: command.channel_id,
      respond: ephemeral(answers, respond),
      openForm: openForm(command.trigger_id, command.user_id, command.channel_id),
    };
    deps.track(commands.run(() => dispatcher.dispatch(request)));
  });

  app.action<BlockAction>(
    new RegExp(`^${ACTION_PREFIX}`),
    async ({ ack, body, action, respond, context }) => {
      await ack();
      acked(context);
      if (action.type !== 'button') return;
      const user = body.user.id;
      const container = body.container as { channel_id?: string; message_ts?: string };
      const channel = container.channel_id ?? body.channel?.id;
      const ts = container.message_ts ?? body.message?.ts;
      const source: MessageRef | undefined = channel && ts ? { channel, ts } : undefined;
      const request: ChatRequest = {
        text: action.value ?? '',
        user,
        // A click in the home tab has no channel and no response_url: answer in the app's DM.
        channel: channel ?? user,
        respond: body.response_url
          ? ephemeral(answers, respond, { replace_original: false })
          : async (message) => void (await deps.chat.post(user, message)),
        ...(source ? { source } : {}),
      };
      deps.track(commands.run(() => dispatcher.dispatch(request)));
    },
  );

  registerAppHome(app, deps);

  app.error(async (error) => {
    logger.error({ err: error }, 'slack listener failed');
  });
};

export { homePublisher } from './app-home.js';
