import { type App, webApi } from '@slack/bolt';
import type { Dispatcher } from '../../commands/dispatch.js';
import type { Config } from '../../config/schema.js';
import { HecklerError } from '../../engine/errors.js';
import type { Logger } from '../../engine/ports/logger.js';
import type { Locks } from '../../engine/ports/store.js';
import type { SurfaceStarted } from '../surface.js';
import { boltLevel, boltLogger } from './bolt-logger.js';
import { SlackChat, type SlackChatOptions } from './chat.js';
import type { HttpLimits } from './http-limits.js';
import { homePublisher, type ListenerDeps } from './listeners.js';
import type { OpsHooks } from './server.js';
import { checkSlackAuth, type SlackIdentity } from './startup.js';

export type WebClientOptions = webApi.WebClientOptions;

/** The Socket Mode client's knobs a test turns; production keeps @slack/socket-mode's defaults. */
export interface SocketModeOptions {
  /**
   * How long a ping to Slack may go unanswered (default 5 000 ms). @slack/socket-mode also waits
   * this long before reconnecting after a `disconnect` (then twice as long, and so on).
   */
  clientPingTimeoutMs?: number;
  /** How long start() waits for Slack's `hello` before it gives up (default SOCKET_START_TIMEOUT_MS, 30 s). */
  startTimeoutMs?: number;
}

export interface SlackSurfaceOptions {
  config: Config;
  /** `claimOnce` drops Slack's retried deliveries, across replicas when the store is Redis. */
  locks: Locks;
  logger: Logger;
  /** Over DEFAULT_CLIENT_OPTIONS and `slack.apiUrl`; tests shorten retries: `{ retryConfig: { retries: 0 } }`. */
  clientOptions?: WebClientOptions;
  /** The update budget, Retry-After waits and continuation memory of the Chat port. */
  chatOptions?: SlackChatOptions;
  /** Interface the HTTP receiver listens on; `slack.host` unless given. */
  host?: string;
  /** Overrides of the HTTP limits (DEFAULT_HTTP_LIMITS); tests shorten the timeouts. */
  http?: Partial<HttpLimits>;
  /** /metrics, /healthz, /readyz and the ack timer, on the HTTP server (HTTP mode only). */
  ops?: OpsHooks;
  /** The Socket Mode client's knobs (Socket Mode only); tests shorten the reconnect wait. */
  socket?: SocketModeOptions;
}

/**
 * Every Web API call gives up after 10 s and is tried at most 3 more times, over ~7 s of backoff
 * (@slack/web-api's default tries 10 times over ~30 minutes). A retried post after a timeout may
 * show twice: Slack has no idempotency key for posts.
 */
export const DEFAULT_CLIENT_OPTIONS: WebClientOptions = {
  timeout: 10_000,
  retryConfig: { retries: 3, factor: 2, minTimeout: 1_000, maxTimeout: 4_000, randomize: true },
};

/** How long "this file is attached to that message" is remembered: longer than a review stays open. */
const ATTACHED_FILE_TTL_MS = 90 * 24 * 60 * 60 * 1000;

export const missingSecret = (what: string, hint: string) =>
  new HecklerError('CONFIG_INVALID', `${what} is not set`, { hint });

/** What the HTTP and the Socket Mode surfaces share: the token, the Web API client, the Chat port. */
export interface SlackCore {
  config: Config;
  logger: Logger;
  locks: Locks;
  token: string;
  chat: SlackChat;
  /** Bolt's logger level and logger, over ours. */
  level: ReturnType<typeof boltLevel>;
  slackLog: ReturnType<typeof boltLogger>;
  /** A fresh copy each time: Bolt writes its logger into the options object it is given. */
  clientOptions(): WebClientOptions;
  /** auth.test once, quickly (later calls share the answer): a one-line CONFIG_INVALID or CHAT_UNAVAILABLE when Slack will not do. */
  checkAuth(): Promise<SlackIdentity>;
  /** The App options every surface starts Bolt with, given who Slack says the bot is. */
  appOptions(identity: SlackIdentity): ConstructorParameters<typeof App>[0] & object;
  /** What the listeners need; `track` keeps dispatches that outlive their ack, for `settle`. */
  listenerDeps(dispatcher: Dispatcher): ListenerDeps;
  /** The operations hooks composeApp gave (the ack timer serves Socket Mode too). */
  ops?: OpsHooks;
  /** Waits for every dispatch handed over so far. */
  settle(): Promise<void>;
}

export const createSlackCore = (options: SlackSurfaceOptions): SlackCore => {
  const { config, logger } = options;
  const token = config.secrets.slackBotToken;
  if (!token) throw missingSecret('SLACK_BOT_TOKEN', 'set it to the bot token (xoxb-…) of the Slack app');
  const level = boltLevel(config.log.level);
  const slackLog = boltLogger(logger, level);
  const clientOptions = (): WebClientOptions => ({
    ...DEFAULT_CLIENT_OPTIONS,
    slackApiUrl: config.slack.apiUrl,
    ...options.clientOptions,
    logger: slackLog,
  });
  // SlackChat honours Retry-After per method; the client's own way would hold every call behind one 429.
  const client = new webApi.WebClient(token, { ...clientOptions(), rejectRateLimitedCalls: true });
  const chat = new SlackChat(client, {
    logger,
    // A large review's file is attached once per content, whichever replica re-renders it.
    claimOnce: (key) => options.locks.claimOnce(key, ATTACHED_FILE_TTL_MS),
    ...options.chatOptions,
  });
  const inflight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) => logger.error({ err: error }, 'slack dispatch failed'));
    inflight.add(settled);
    void settled.finally(() => inflight.delete(settled));
  };
  let identity: Promise<SlackIdentity> | undefined;
  return {
    config,
    logger,
    locks: options.locks,
    token,
    chat,
    level,
    slackLog,
    clientOptions,
    checkAuth: () => {
      const { slackApiUrl = config.slack.apiUrl, ...rest } = clientOptions();
      identity ??= checkSlackAuth(token, { ...rest, slackApiUrl });
      return identity;
    },
    appOptions: (identity) => ({
      token,
      logger: slackLog,
      logLevel: level,
      clientOptions: clientOptions(),
      convoStore: false as const,
      ...(identity.botId ? { botId: identity.botId } : {}),
      ...(identity.botUserId ? { botUserId: identity.botUserId } : {}),
    }),
    ...(options.ops ? { ops: options.ops } : {}),
    listenerDeps: (dispatcher) => ({
      dispatcher,
      chat,
      locks: options.locks,
      logger,
      track,
      publishHome: homePublisher(client, (method, run) => chat.call(method, run)),
    }),
    settle: async () => {
      await Promise.allSettled([...inflight]);
    },
  };
};

/**
 * A surface's start/stop/ended bookkeeping: `ended` settles once stopped, `connected` is true
 * between a finished start and the stop.
 */
export const surfaceLife = () => {
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let state: 'new' | 'started' | 'stopped' = 'new';
  return {
    ended,
    connected: () => state === 'started',
    starting(): void {
      if (state !== 'new') throw new Error('a chat surface starts once');
    },
    started(result: SurfaceStarted): SurfaceStarted {
      state = 'started';
      return result;
    },
    stopped(): void {
      state = 'stopped';
      finish();
    },
  };
};
