import { HecklerError } from '../../engine/errors.js';
import { escapeText } from '../../engine/text/mrkdwn.js';
import type { SlackApiError } from './call.js';

/** Slack's answers that mean "the bot is not in that conversation" (or cannot see it because of that). */
export const CHANNEL_ERRORS = new Set(['not_in_channel', 'channel_not_found']);

/** A Slack conversation id (public C…, private G…, direct D…), as opposed to a name from the config. */
const CONVERSATION_ID = /^[CGD][A-Z0-9]{2,}$/;

export const isConversationId = (channel: string): boolean => CONVERSATION_ID.test(channel);

/**
 * How a channel is written for people: `#name` when the config or Slack gave a name, else the id
 * (a private channel the bot cannot see has no name it may read).
 */
export const channelLabel = (channel: string, name?: string): string => {
  if (name) return `#${name.replace(/^#/, '')}`;
  return isConversationId(channel) ? `channel ${channel}` : `#${channel.replace(/^#/, '')}`;
};

/**
 * Slack refused to post because the bot is not a member of the channel: the user who asked (and
 * the log) learn what to do, `/invite @Heckler`, instead of a generic error with an id. It keeps
 * Slack's code and method, as a SlackApiError does, for code that branches on them.
 */
export class SlackChannelError extends HecklerError {
  readonly method: string;
  readonly slackError: string;
  readonly channel: string;

  constructor(failure: SlackApiError, channel: string, label: string, botName = 'Heckler') {
    const where = escapeText(label);
    const bot = escapeText(botName);
    const notIn = failure.slackError === 'not_in_channel';
    super(
      'CHAT_UNAVAILABLE',
      notIn
        ? `${bot} is not in ${where}, so it cannot post there`
        : `${bot} cannot see ${where}: it does not exist, or it is private and ${bot} is not in it`,
      {
        hint: `invite @${bot} to ${where} (\`/invite @${bot}\`), then try again${notIn ? '' : '; or check the channel in heckler.yml (chat.channel, approvals.channel)'}`,
        cause: failure,
      },
    );
    this.method = failure.method;
    this.slackError = failure.slackError;
    this.channel = channel;
  }
}
