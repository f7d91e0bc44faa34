import { webApi } from '@slack/bolt';
import type { Chat, ChatFile, MessageRef } from '../../engine/ports/chat.js';
import type { Message } from '../../engine/ports/message.js';
import { type SlackMessagePart, safeMrkdwn, toBlockKit } from '../render/blocks.js';

type WebClient = InstanceType<typeof webApi.WebClient>;

/**
 * A failed Web API call. `slackError` is Slack's own code (`channel_not_found`, `invalid_auth`,
 * `ratelimited`, …) so callers can branch on it; the message names it too, for people.
 */
export class SlackApiError extends Error {
  readonly method: string;
  readonly slackError: string;

  constructor(method: string, slackError: string, cause: unknown) {
    super(`slack ${method} failed: ${slackError}`, { cause });
    this.name = 'SlackApiError';
    this.method = method;
    this.slackError = slackError;
  }
}

const slackErrorCode = (error: unknown): string => {
  if (!(error instanceof webApi.SlackError)) return error instanceof Error ? error.message : String(error);
  if (error instanceof webApi.WebAPIPlatformError) return String(error.data.error);
  if (error instanceof webApi.WebAPIRateLimitedError) return 'ratelimited';
  if (error instanceof webApi.WebAPIHTTPError) return `http_${error.statusCode}`;
  return error.code;
};

/** Runs one Web API call, turning its failure into a SlackApiError that names Slack's code. */
export const callSlack = async <T>(method: string, call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw new SlackApiError(method, slackErrorCode(error), error);
  }
};

/** The Chat port over Slack's Web API. Messages too big for one Slack message continue in its thread. */
export class SlackChat implements Chat {
  constructor(private readonly client: WebClient) {}

  async post(channel: string, message: Message): Promise<MessageRef> {
    const rendered = toBlockKit(message);
    const ref = await this.postMessage(channel, rendered);
    await this.postOverflow(ref, rendered.overflow);
    return ref;
  }

  async permalink(ref: MessageRef): Promise<string | undefined> {
    const answer = await callSlack('chat.getPermalink', () =>
      this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts }),
    );
    return answer.permalink;
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    const rendered = toBlockKit(message);
    await callSlack('chat.update', () =>
      this.client.chat.update({
        channel: ref.channel,
        ts: ref.ts,
        text: rendered.text,
        blocks: rendered.blocks,
      }),
    );
    await this.postOverflow(ref, rendered.overflow);
  }

  async reply(thread: MessageRef, message: Message): Promise<MessageRef> {
    const rendered = toBlockKit(message);
    const ref = await this.postMessage(thread.channel, rendered, thread.ts);
    await this.postOverflow(thread, rendered.overflow);
    return ref;
  }

  async whisper(channel: string, user: string, message: Message): Promise<void> {
    const rendered = toBlockKit(message, { continuedIn: 'below' });
    for (const part of [rendered, ...rendered.overflow]) {
      await callSlack('chat.postEphemeral', () =>
        this.client.chat.postEphemeral({ channel, user, text: part.text, blocks: part.blocks }),
      );
    }
  }

  async upload(channel: string, file: ChatFile, thread?: MessageRef): Promise<void> {
    const common = {
      channel_id: channel,
      filename: file.filename,
      title: file.title,
      content: file.content,
      ...(file.comment ? { initial_comment: safeMrkdwn(file.comment) } : {}),
    };
    await callSlack('files.uploadV2', () =>
      this.client.files.uploadV2(thread ? { ...common, thread_ts: thread.ts } : common),
    );
  }

  private async postMessage(channel: string, part: SlackMessagePart, threadTs?: string): Promise<MessageRef> {
    const result = await callSlack('chat.postMessage', () =>
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

  private async postOverflow(thread: MessageRef, overflow: readonly SlackMessagePart[]): Promise<void> {
    for (const part of overflow) await this.postMessage(thread.channel, part, thread.ts);
  }
}
