import type { Chat, Logger, Message, MessageRef } from '../ports/index.js';

/**
 * Shows a record's one message: edits it when it was posted before, else posts it and remembers
 * where (`holder.message`). Chat being down never fails the work the message reports on: the
 * record is stored either way, and the next update posts or edits again.
 */
export const showMessage = async (
  chat: Chat,
  holder: { message?: MessageRef },
  channel: string,
  message: Message,
  failed: { logger: Logger; context: Record<string, unknown>; what: string },
): Promise<void> => {
  try {
    if (holder.message) await chat.update(holder.message, message);
    else holder.message = await chat.post(channel, message);
  } catch (error) {
    failed.logger.warn({ err: error, ...failed.context }, `could not show ${failed.what} in chat`);
  }
};
