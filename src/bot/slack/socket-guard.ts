import type { SocketModeReceiver } from '@slack/bolt';
import type { Logger } from '../../engine/ports/logger.js';

/** The event @slack/socket-mode emits for each text frame and handles in an async listener. */
const MESSAGE_EVENT = 'ws_message';

type MessageListener = (data: unknown, isBinary: boolean) => unknown;

/**
 * Why a Socket Mode frame cannot be handled, or undefined when it can. @slack/socket-mode reads
 * `message.type` and, for events, `payload.event.type` without checking, in an async listener:
 * `null`, an array or an event without its event would be an unhandled rejection, which ends Node.
 */
export const socketMessageProblem = (text: string): string | undefined => {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return 'not a JSON object';
  const { type, payload } = message as { type?: unknown; payload?: unknown };
  if (typeof type !== 'string') return 'no type';
  if (type !== 'events_api') return undefined;
  const event = (payload as { event?: unknown } | null | undefined)?.event;
  if (event === null || typeof event !== 'object') return 'an events_api envelope without its event';
  return undefined;
};

/**
 * Puts a check in front of the client's own message handler: frames it would crash on are logged
 * (their size, never their text) and dropped, and anything its handler still throws is logged.
 */
export const guardSocketMessages = (client: SocketModeReceiver['client'], logger: Logger): void => {
  const originals = client.listeners(MESSAGE_EVENT) as MessageListener[];
  // A release that renames the event would leave the bot deaf; better to fail at start.
  if (originals.length !== 1)
    throw new Error(`@slack/socket-mode has ${originals.length} '${MESSAGE_EVENT}' listeners, expected 1`);
  client.removeAllListeners(MESSAGE_EVENT);
  client.on(MESSAGE_EVENT, (data: unknown, isBinary: boolean) => {
    if (!isBinary) {
      const text = typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer);
      const problem = socketMessageProblem(text);
      if (problem) {
        logger.warn({ problem, bytes: text.length }, 'ignored a socket mode message');
        return;
      }
    }
    const failed = (error: unknown) => logger.error({ err: error }, 'socket mode message failed');
    for (const original of originals) {
      try {
        void Promise.resolve(original.call(client, data, isBinary)).catch(failed);
      } catch (error) {
        failed(error);
      }
    }
  });
};
