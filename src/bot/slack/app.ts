import type { ChatSurface } from '../surface.js';
import { createSlackCore, type SlackSurfaceOptions } from './core.js';
import { createSlackHttpSurface } from './http-surface.js';
import { createSlackSocketSurface } from './socket-surface.js';

export {
  DEFAULT_CLIENT_OPTIONS,
  type SlackSurfaceOptions,
  type SocketModeOptions,
  type WebClientOptions,
} from './core.js';

/**
 * The Slack chat surface the secrets ask for: Socket Mode when SLACK_APP_TOKEN is set, else HTTP.
 * No business logic here or below: every request goes to the dispatcher.
 */
export const createSlackSurface = (options: SlackSurfaceOptions): ChatSurface => {
  const core = createSlackCore(options);
  if (options.config.secrets.slackAppToken) return createSlackSocketSurface(core, options.socket);
  return createSlackHttpSurface(core, {
    ...(options.host ? { host: options.host } : {}),
    ...(options.http ? { http: options.http } : {}),
    ...(options.ops ? { ops: options.ops } : {}),
  });
};
