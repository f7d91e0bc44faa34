import type { Server } from 'node:http';
import { App, HTTPReceiver, webApi } from '@slack/bolt';
import type { Dispatcher } from '../../commands/dispatch.js';
import type { Config } from '../../config/schema.js';
import { HecklerError } from '../../engine/errors.js';
import type { Chat } from '../../engine/ports/chat.js';
import type { Logger } from '../../engine/ports/logger.js';
import type { Locks } from '../../engine/ports/store.js';
import { boltLevel, boltLogger } from './bolt-logger.js';
import { callSlack, SlackChat, type SlackChatOptions } from './chat.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits.js';
import { homePublisher, registerListeners } from './listeners.js';
import { closeServer, startGatedServer } from './server.js';

export type WebClientOptions = webApi.WebClientOptions;

export interface SlackAdapterOptions {
  config: Config;
  /** `claimOnce` drops Slack's retried deliveries, across replicas when the store is Redis. */
  locks: Locks;
  logger: Logger;
  /** Over DEFAULT_CLIENT_OPTIONS and `slack.apiUrl`; tests shorten retries: `{ retryConfig: { retries: 0 } }`. */
  clientOptions?: WebClientOptions;
  /** The update budget, Retry-After waits and continuation memory of the Chat port. */
  chatOptions?: SlackChatOptions;
  /** Interface the HTTP receiver listens on; loopback unless a proxy in front needs otherwise. */
  host?: string;
  /** Overrides of the HTTP limits (DEFAULT_HTTP_LIMITS); tests shorten the timeouts. */
  http?: Partial<HttpLimits>;
}

export interface SlackAdapter {
  /** Usable as soon as the adapter exists, so services can be built before the dispatcher. */
  chat: Chat;
  /** Starts receiving. `port` is the HTTP port, or 0 in Socket Mode (no listener here). */
  start(dispatcher: Dispatcher): Promise<{ port: number }>;
  /** Stops receiving and waits for commands already handed to the dispatcher. */
  stop(): Promise<void>;
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

const missing = (what: string, hint: string) =>
  new HecklerError('CONFIG_INVALID', `${what} is not set`, { hint });

/**
 * The Slack chat adapter: Bolt over our own HTTP server (or Socket Mode when an app token is set),
 * and the Chat port over the Web API. No business logic here: every request goes to the dispatcher.
 */
export const createSlackAdapter = (options: SlackAdapterOptions): SlackAdapter => {
  const { config, logger } = options;
  const token = config.secrets.slackBotToken;
  if (!token) throw missing('SLACK_BOT_TOKEN', 'set it to the bot token (xoxb-…) of the Slack app');
  const level = boltLevel(config.log.level);
  const slackLog = boltLogger(logger, level);
  // Bolt writes its logger into the options object it is given, so each user gets a copy.
  const clientOptions = (): WebClientOptions => ({
    ...DEFAULT_CLIENT_OPTIONS,
    slackApiUrl: config.slack.apiUrl,
    ...options.clientOptions,
    logger: slackLog,
  });
  // SlackChat honours Retry-After per method; the client's own way would hold every call behind one 429.
  const client = new webApi.WebClient(token, { ...clientOptions(), rejectRateLimitedCalls: true });
  const chat = new SlackChat(client, options.chatOptions);
  const inflight = new Set<Promise<unknown>>();
  let running: { app: App; server?: Server } | undefined;

  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) => logger.error({ err: error }, 'slack dispatch failed'));
    inflight.add(settled);
    void settled.finally(() => inflight.delete(settled));
  };

  return {
    chat,
    async start(dispatcher) {
      if (running) throw new Error('the Slack adapter is already started');
      // Verifies the token now, and saves Bolt an auth.test call it would otherwise make.
      const identity = await callSlack('auth.test', () => client.auth.test());
      const appOptions = {
        token,
        logger: slackLog,
        logLevel: level,
        clientOptions: clientOptions(),
        convoStore: false as const,
        ...(identity.bot_id ? { botId: identity.bot_id } : {}),
        ...(identity.user_id ? { botUserId: identity.user_id } : {}),
      };
      const appToken = config.secrets.slackAppToken;
      const deps = {
        dispatcher,
        chat,
        locks: options.locks,
        logger,
        track,
        publishHome: homePublisher(client, (method, run) => chat.call(method, run)),
      };
      if (appToken) {
        // The Socket Mode client opens its connection with a Web API client of its own, built from these.
        const installerOptions = { clientOptions: clientOptions() };
        const app = new App({ ...appOptions, appToken, socketMode: true, installerOptions });
        registerListeners(app, deps);
        await app.start();
        running = { app };
        logger.info({ botUserId: identity.user_id, team: identity.team }, 'slack socket mode connected');
        return { port: 0 };
      }
      const signingSecret = config.secrets.slackSigningSecret;
      if (!signingSecret) throw missing('SLACK_SIGNING_SECRET', 'set it, or SLACK_APP_TOKEN for Socket Mode');
      const limits = { ...DEFAULT_HTTP_LIMITS, ...options.http };
      const receiver = new HTTPReceiver({
        signingSecret,
        endpoints: config.slack.path,
        logger: slackLog,
        logLevel: level,
        // Our server reads bodies within this limit before Bolt sees them; this is a second line.
        bodyLimit: limits.maxBodyBytes,
      });
      const app = new App({ ...appOptions, receiver });
      registerListeners(app, deps);
      const { server, port } = await startGatedServer({
        receiver,
        signingSecret,
        port: config.slack.port,
        host: options.host ?? '127.0.0.1',
        logger,
        limits,
      });
      running = { app, server };
      return { port };
    },
    async stop() {
      const current = running;
      running = undefined;
      if (current?.server) await closeServer(current.server);
      else if (current) await current.app.stop();
      await Promise.allSettled([...inflight]);
    },
  };
};
