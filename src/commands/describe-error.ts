import { randomBytes } from 'node:crypto';
import { isHecklerError } from '../engine/errors.js';
import type { Logger, Message } from '../engine/ports/index.js';

/**
 * The one place where failures become words for users. Known errors say what went wrong and
 * what to do; anything else gets a generic answer plus an id that appears in the log. A
 * HecklerError's message and hint are already mrkdwn, escaped where they were made (errors.ts);
 * an unknown error's text is never shown, so nothing from it reaches chat.
 */
export const describeError = (error: unknown, log: Logger): Message => {
  if (isHecklerError(error)) {
    const text = error.hint ? `${error.message}\n${error.hint}` : error.message;
    const blocks: Message['blocks'] = [{ kind: 'section', text: `:warning: ${error.message}` }];
    if (error.hint) blocks.push({ kind: 'context', text: error.hint });
    return { text, blocks };
  }
  const errorId = randomBytes(4).toString('hex');
  log.error({ err: error, errorId }, 'command failed');
  const text = `something went wrong on our side (error id ${errorId}); the operators can find it in the bot's log`;
  return { text, blocks: [{ kind: 'section', text: `:x: ${text}` }] };
};
