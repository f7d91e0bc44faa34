import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pino } from 'pino';
import { currentOsUser, resolveShellIdentity, type ShellIdentity } from '../bot/shell/identity.js';
import { createShellSurface } from '../bot/shell/surface.js';
import { createSlackSurface, type SocketModeOptions, type WebClientOptions } from '../bot/slack/app.js';
import type { SlackChatOptions } from '../bot/slack/chat.js';
import type { HttpLimits } from '../bot/slack/http-limits.js';
import type { OpsHooks } from '../bot/slack/server.js';
import type { ChatSurface } from '../bot/surface.js';
import { secretValues } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Chat } from '../engine/ports/chat.js';
import type { Logger } from '../engine/ports/logger.js';
import type { Locks } from '../engine/ports/store.js';
import { createLogger } from '../log.js';

/** The Slack surface's knobs a test or bench turns (the rest comes from heckler.yml). */
export interface SlackOverrides {
  /** Over DEFAULT_CLIENT_OPTIONS and slack.apiUrl, e.g. `{ retryConfig: { retries: 0 } }`. */
  clientOptions?: WebClientOptions;
  chatOptions?: SlackChatOptions;
  http?: Partial<HttpLimits>;
  /** Operations routes and the ack timer on the HTTP server (composeApp sets them). */
  ops?: OpsHooks;
  /** The interface to listen on instead of slack.host (tests: 127.0.0.1). */
  host?: string;
  /** Socket Mode client knobs (tests: a shorter reconnect wait). */
  socket?: SocketModeOptions;
}

/** The terminal's streams and who runs it; the process's own by default. */
export interface ShellOverrides {
  input?: Readable;
  output?: Writable;
  interactive?: boolean;
  /** The OS user running the terminal (default: the one running this process). */
  osUser?: string;
  /** Lines shown before the session starts (main: which config file was picked). */
  notices?: readonly string[];
}

/**
 * Who the terminal is, decided before anything starts: a terminal whose OS user maps to no chat
 * user must not open a store or clone a repository first.
 */
export const shellIdentityFor = (config: Config, shell: ShellOverrides = {}): ShellIdentity =>
  resolveShellIdentity(config, 'osUser' in shell ? shell.osUser : currentOsUser());

/** In the shell the terminal is the conversation, so logs go to a file in the data directory. */
export const loggerFor = (config: Config): Logger =>
  createLogger({
    level: config.log.level,
    secrets: secretValues(config.secrets),
    ...(config.mode === 'shell'
      ? {
          destination: pino.destination({
            dest: join(config.storage.dataDir, 'heckler.log'),
            sync: true,
            append: true,
            mkdir: true,
          }),
        }
      : { pretty: Boolean(process.stdout.isTTY) }),
  });

/** A Chat with nothing coming in: tests that drive the dispatcher themselves. */
export const headlessSurface = (chat: Chat): ChatSurface => {
  let state: 'new' | 'started' | 'stopped' = 'new';
  let finish: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    kind: 'headless',
    chat,
    ended,
    connected: () => state === 'started',
    check: async () => undefined,
    async start() {
      state = 'started';
      return {};
    },
    async stop() {
      state = 'stopped';
      finish();
    },
  };
};

/** The surface config.mode asks for: Slack (HTTP, or Socket Mode with an app token) or the terminal. */
export const surfaceFor = (options: {
  config: Config;
  logger: Logger;
  locks: Locks;
  identity: ShellIdentity | undefined;
  slack?: SlackOverrides;
  shell?: ShellOverrides;
  notices: readonly string[];
}): ChatSurface => {
  const { config, identity, slack = {}, shell = {} } = options;
  if (config.mode === 'slack')
    return createSlackSurface({ config, locks: options.locks, logger: options.logger, ...slack });
  if (!identity) throw new Error('the shell surface needs the terminal identity');
  const input = shell.input ?? process.stdin;
  return createShellSurface({
    input,
    output: shell.output ?? process.stdout,
    interactive: shell.interactive ?? Boolean((input as { isTTY?: boolean }).isTTY),
    identity,
    channel: config.chat.channel,
    users: config.users,
    notices: [...(shell.notices ?? []), ...options.notices],
  });
};
