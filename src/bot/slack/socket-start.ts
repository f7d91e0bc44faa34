import type { SocketModeReceiver } from '@slack/bolt';
import { HecklerError } from '../../engine/errors.js';
import { APP_TOKEN_CALL, startupFailure } from './startup.js';

type SocketClient = SocketModeReceiver['client'];

/** Slack's socket opens within a second or two; past this something between here and Slack is wrong. */
export const SOCKET_START_TIMEOUT_MS = 30_000;

/**
 * Ends the client for good. Each reconnect attempt of @slack/socket-mode leaves a start() promise
 * that rejects, unhandled, on the `disconnected` event: dropped first, they cannot end Node.
 */
export const closeSocket = async (client: SocketClient): Promise<void> => {
  client.removeAllListeners('disconnected');
  await client.disconnect();
};

/** The WebSocket's host and port (never its query, which holds the ticket). */
const hostOf = (url: unknown): string | undefined => {
  try {
    return typeof url === 'string' ? new URL(url).host : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Starts the Socket Mode app and waits for Slack's `hello`, at most `timeoutMs`. @slack/socket-mode
 * would otherwise keep reconnecting in its log for ever (a firewall that lets https through but
 * not the WebSocket, a proxy that drops upgrades); the bot instead stops trying and says why in
 * one line, as for a refused token.
 */
export const startSocket = async (
  start: () => Promise<unknown>,
  client: SocketClient,
  apiUrl: string,
  timeoutMs = SOCKET_START_TIMEOUT_MS,
): Promise<void> => {
  let host: string | undefined;
  const opened = (answer: { url?: unknown }) => {
    host = hostOf(answer?.url) ?? host;
  };
  client.on('authenticated', opened);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([start(), late]);
    if (outcome !== 'late') return;
  } catch (error) {
    // The app token is first used here; a refusal is the same one-line failure as a bad bot token's.
    throw startupFailure(error, apiUrl, APP_TOKEN_CALL);
  } finally {
    clearTimeout(timer);
    client.off('authenticated', opened);
  }
  await closeSocket(client);
  const where = host ? ` to ${host}` : '';
  throw new HecklerError(
    'CHAT_UNAVAILABLE',
    `Slack's Socket Mode connection${where} did not open within ${timeoutMs / 1000} s: check that this host ` +
      'can open WebSockets to Slack (wss://…slack.com:443), directly or through its proxy',
  );
};
