import type { webApi } from '@slack/bolt';
import type { Chat, ChatFile, MessageRef } from '../../engine/ports/chat.js';
import type { Logger } from '../../engine/ports/logger.js';
import type { Message } from '../../engine/ports/message.js';
import { escapeText, unescapeText } from '../../engine/text/mrkdwn.js';
import { type SlackMessagePart, safeMrkdwn, toBlockKit } from '../render/blocks.js';
import { homePublisher } from './app-home.js';
import { RateLimits, realScheduler, type Scheduler, SlackApiError } from './call.js';
import { CHANNEL_ERRORS, channelLabel, isConversationId, SlackChannelError } from './channel-errors.js';
import {
  type Attached,
  type Continuation,
  ContinuationMemory,
  digestOf,
  fileDigestOf,
  MessageMemory,
} from './continuations.js';
import { DEFAULT_UPDATE_BUDGET, TokenBucket, type UpdateBudget, UpdateGate } from './update-gate.js';

export { callSlack, SlackApiError } from './call.js';

type WebClient = InstanceType<typeof webApi.WebClient>;

export interface SlackChatOptions {
  /** Time for Retry-After waits and the update budget; tests pass a fake. */
  scheduler?: Scheduler;
  /** All `chat.update` calls together (default: a burst of 10, then 50 a minute). */
  updateBudget?: UpdateBudget;
  /** Tries after a 429 before a call fails with `ratelimited` (default 3). */
  rateLimitRetries?: number;
  /** Messages whose continuation replies (and attached file) are remembered (default 1000). */
  continuationsKept?: number;
  /** Where trouble a person must fix (the bot not in a channel, a file not attached) is logged. */
  logger?: Logger;
  /**
   * True the first time `key` is claimed, across replicas and restarts (Locks.claimOnce): a
   * message's file is then attached once per content even when another replica, or this process
   * before a restart, attached it. Without it, this process's memory decides.
   */
  claimOnce?(key: string): Promise<boolean>;
  /** The bot's name as people invite it (`/invite @Heckler`). */
  botName?: string;
}

interface PendingUpdate {
  ref: MessageRef;
  message: Message;
}

/**
 * The Chat port over Slack's Web API. A message too big for one Slack message (50 blocks,
 * ~12,000 characters of text) continues in its thread; updating it edits those continuations
 * rather than posting them again. Give it a client with `rejectRateLimitedCalls: true` (the adapter
 * does): it then honours Retry-After per method itself, where the client would hold every call,
 * posts included, behind one rate-limited update. Updates share one budget and are coalesced per
 * message while they wait; posts, replies and whispers never wait for it.
 */
export class SlackChat implements Chat {
  private readonly limits: RateLimits;
  private readonly continuations: ContinuationMemory;
  private readonly files: MessageMemory<Attached>;
  private readonly updates: UpdateGate<PendingUpdate>;

  constructor(
    private readonly client: WebClient,
    private readonly options: SlackChatOptions = {},
  ) {
    const scheduler = options.scheduler ?? realScheduler;
    this.limits = new RateLimits(scheduler, options.rateLimitRetries ?? 3);
    this.continuations = new ContinuationMemory(options.continuationsKept);
    this.files = new MessageMemory<Attached>(options.continuationsKept);
    const bucket = new TokenBucket(options.updateBudget ?? DEFAULT_UPDATE_BUDGET, scheduler);
    this.updates = new UpdateGate(bucket, (pending, take) => this.writeUpdate(pending, take));
  }

  /** Runs one Web API call with Retry-After honoured, failing as a SlackApiError. */
  call<T>(method: string, call: () => Promise<T>): Promise<T> {
    return this.limits.call(method, call);
  }

  async post(channel: string, message: Message): Promise<MessageRef> {
    const rendered = toBlockKit(message);
    const ref = await this.inChannel(channel, () => this.postMessage(channel, rendered));
    await this.continue(ref, ref.ts, rendered.overflow);
    await this.attach(ref, ref.ts, message.file);
    return ref;
  }

  /** The user's App Home tab: views.publish of the dashboard (src/bot/slack/app-home.ts). */
  async home(user: string, message: Message): Promise<void> {
    await homePublisher(this.client, (method, run) => this.call(method, run))(user, message);
  }

  async permalink(ref: MessageRef): Promise<string | undefined> {
    const answer = await this.call('chat.getPermalink', () =>
      this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts }),
    );
    return answer.permalink;
  }

  /** Resolves once this state, or a newer one of the same message, is written. */
  update(ref: MessageRef, message: Message): Promise<void> {
    return this.updates.submit(`${ref.channel}/${ref.ts}`, { ref, message });
  }

  async reply(thread: MessageRef, message: Message): Promise<MessageRef> {
    const rendered = toBlockKit(message);
    const ref = await this.inChannel(thread.channel, () =>
      this.postMessage(thread.channel, rendered, thread.ts),
    );
    await this.continue(ref, thread.ts, rendered.overflow);
    await this.attach(ref, thread.ts, message.file);
    return ref;
  }

  async whisper(channel: string, user: string, message: Message): Promise<void> {
    const rendered = toBlockKit(message, { continuedIn: 'below' });
    for (const part of [rendered, ...rendered.overflow]) {
      await this.inChannel(channel, () =>
        this.call('chat.postEphemeral', () =>
          this.client.chat.postEphemeral({ channel, user, text: part.text, blocks: part.blocks }),
        ),
      );
    }
  }

  /** `chat.postMessage` with a user id as the channel posts in the app's DM with that user. */
  async direct(user: string, message: Message): Promise<MessageRef> {
    return this.post(user, message);
  }

  async upload(channel: string, file: ChatFile, thread?: MessageRef): Promise<void> {
    const common = {
      channel_id: channel,
      filename: file.filename,
      title: file.title,
      content: file.content,
      ...(file.comment ? { initial_comment: safeMrkdwn(file.comment) } : {}),
    };
    await this.inChannel(channel, () =>
      this.call('files.uploadV2', () =>
        this.client.files.uploadV2(thread ? { ...common, thread_ts: thread.ts } : common),
      ),
    );
  }

  private async postMessage(channel: string, part: SlackMessagePart, threadTs?: string): Promise<MessageRef> {
    const result = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage({
        channel,
        text: part.text,
        blocks: part.blocks,
        unfurl_links: false,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      }),
    );
    if (!result.ts) throw new SlackApiError('chat.postMessage', 'missing_ts', result);
    // Slack answers with the channel id even when a name was given; later updates need the id.
    return { channel: result.channel ?? channel, ts: result.ts };
  }

  /** One chat.update, failing at once on a 429 so that the gate can coalesce and wait. */
  private async updateMessage(ref: MessageRef, part: SlackMessagePart): Promise<void> {
    await this.limits.call(
      'chat.update',
      () =>
        this.client.chat.update({ channel: ref.channel, ts: ref.ts, text: part.text, blocks: part.blocks }),
      0,
    );
  }

  /**
   * Posts a new message's continuations in `threadTs` and remembers them (and, for a reply, its
   * thread, where continuations of a later, longer state go).
   */
  private async continue(ref: MessageRef, threadTs: string, overflow: readonly SlackMessagePart[]) {
    const parts: Continuation[] = [];
    if (threadTs !== ref.ts) this.continuations.set(ref, { threadTs, parts: [] });
    for (const part of overflow) {
      parts.push({ ref: await this.postMessage(ref.channel, part, threadTs), digest: digestOf(part) });
      this.continuations.set(ref, { threadTs, parts: [...parts] });
    }
  }

  /**
   * Writes the latest state of a message (the gate took a token for it): the message itself, then
   * its continuations — edited where they exist and changed, posted where new, deleted where no
   * longer needed.
   */
  private async writeUpdate({ ref, message }: PendingUpdate, take: () => Promise<void>): Promise<void> {
    const rendered = toBlockKit(message);
    await this.inChannel(ref.channel, () => this.updateMessage(ref, rendered));
    const known = this.continuations.get(ref) ?? { threadTs: ref.ts, parts: [] };
    const kept: Continuation[] = [];
    const remember = () =>
      this.continuations.set(ref, {
        threadTs: known.threadTs,
        parts: [...kept, ...known.parts.slice(kept.length)],
      });
    for (const [i, part] of rendered.overflow.entries()) {
      const digest = digestOf(part);
      const existing = known.parts[i];
      if (!existing) kept.push({ ref: await this.postMessage(ref.channel, part, known.threadTs), digest });
      else if (existing.digest === digest) kept.push(existing);
      else {
        await take();
        await this.updateMessage(existing.ref, part);
        kept.push({ ref: existing.ref, digest });
      }
      remember();
    }
    for (const surplus of known.parts.slice(kept.length)) {
      // A continuation no longer needed goes; one that cannot (already deleted) is forgotten anyway.
      await this.call('chat.delete', () =>
        this.client.chat.delete({ channel: surplus.ref.channel, ts: surplus.ref.ts }),
      ).catch(() => undefined);
    }
    this.continuations.set(ref, { threadTs: known.threadTs, parts: kept });
    await this.attach(ref, known.threadTs, message.file);
  }

  /**
   * Attaches a message's file in its thread, unless this content is there already: re-rendering a
   * review for a decision leaves its full diff alone, a re-noop that changed it attaches the new
   * one. A failed upload does not fail the message: it is said in the thread, logged, and tried
   * again at the message's next update.
   */
  private async attach(ref: MessageRef, threadTs: string, file: ChatFile | undefined): Promise<void> {
    if (!file) return;
    const digest = fileDigestOf(file);
    const known = this.files.get(ref);
    if (known?.digest === digest && known.attached) return;
    // A retry after a failure here skips the claim: this process made it.
    if (known?.digest !== digest && this.options.claimOnce) {
      const first = await this.options.claimOnce(`slack-file:${ref.channel}/${ref.ts}:${digest}`).catch(
        // The store being down must not lose the file: a rare second copy is the lesser harm.
        () => true,
      );
      if (!first) return this.files.set(ref, { digest, attached: true });
    }
    try {
      await this.upload(ref.channel, file, { channel: ref.channel, ts: threadTs });
      this.files.set(ref, { digest, attached: true });
    } catch (error) {
      this.files.set(ref, { digest, attached: false });
      const why =
        error instanceof SlackChannelError || error instanceof SlackApiError ? error.slackError : 'failed';
      this.options.logger?.warn(
        { err: error, channel: ref.channel, ts: ref.ts, file: file.filename },
        'could not attach a file to its message; trying again at its next update',
      );
      const note = `:warning: The file ${escapeText(file.filename)} could not be attached (${escapeText(why)}); it is tried again when this message is next updated.`;
      await this.postMessage(
        ref.channel,
        { text: note, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: note } }] },
        threadTs,
      ).catch(() => undefined);
    }
  }

  /**
   * Runs a call that posts in `channel`; when Slack answers that the bot is not in it, the error
   * says so and how to fix it (`/invite @Heckler`), to the user who asked and in the log.
   */
  private async inChannel<T>(channel: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof SlackApiError) || !CHANNEL_ERRORS.has(error.slackError)) throw error;
      const label = channelLabel(channel, await this.channelName(channel));
      const mapped = new SlackChannelError(error, channel, label, this.options.botName);
      this.options.logger?.warn(
        { channel, method: error.method, slackError: error.slackError },
        `${unescapeText(mapped.message)}: ${unescapeText(mapped.hint ?? '')}`,
      );
      throw mapped;
    }
  }

  /** A channel id's name, for people; none for a name already, or when Slack will not say. */
  private async channelName(channel: string): Promise<string | undefined> {
    if (!isConversationId(channel) || channel.startsWith('D')) return undefined;
    try {
      const answer = await this.call('conversations.info', () => this.client.conversations.info({ channel }));
      return answer.channel?.name;
    } catch {
      return undefined;
    }
  }
}
