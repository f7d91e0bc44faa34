import type { Server } from 'node:http';
import { App, HTTPReceiver } from '@slack/bolt';
import type { ChatSurface } from '../surface.js';
import { missingSecret, type SlackCore, surfaceLife } from './core.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits.js';
import { registerListeners } from './listeners.js';
import { closeServer, type OpsHooks, startGatedServer } from './server.js';

/**
 * Slack over HTTP: Bolt's receiver behind our own gated server (signature, timestamp, size and
 * slowness checked before Bolt sees a byte), on `slack.host`:`slack.port` at `slack.path`.
 */
export const createSlackHttpSurface = (
  core: SlackCore,
  options: { host?: string; http?: Partial<HttpLimits>; ops?: OpsHooks } = {},
): ChatSurface => {
  const { config, logger } = core;
  const life = surfaceLife();
  let server: Server | undefined;
  const signingSecret = () => {
    const secret = config.secrets.slackSigningSecret;
    if (!secret) throw missingSecret('SLACK_SIGNING_SECRET', 'set it, or SLACK_APP_TOKEN for Socket Mode');
    return secret;
  };
  return {
    kind: 'slack-http',
    chat: core.chat,
    ended: life.ended,
    connected: life.connected,
    async check() {
      signingSecret();
      await core.checkAuth();
    },
    async start(dispatcher) {
      life.starting();
      const secret = signingSecret();
      const identity = await core.checkAuth();
      const limits = { ...DEFAULT_HTTP_LIMITS, ...options.http };
      const receiver = new HTTPReceiver({
        signingSecret: secret,
        endpoints: config.slack.path,
        logger: core.slackLog,
        logLevel: core.level,
        // Our server reads bodies within this limit before Bolt sees them; this is a second line.
        bodyLimit: limits.maxBodyBytes,
      });
      const app = new App({ ...core.appOptions(identity), receiver });
      registerListeners(app, core.listenerDeps(dispatcher));
      const started = await startGatedServer({
        receiver,
        signingSecret: secret,
        port: config.slack.port,
        host: options.host ?? config.slack.host,
        logger,
        limits,
        ...options.ops,
      });
      server = started.server;
      logger.info({ botUserId: identity.botUserId, team: identity.team }, 'slack http receiver listening');
      return life.started({ port: started.port });
    },
    async stop() {
      const current = server;
      server = undefined;
      if (current) await closeServer(current);
      await core.settle();
      life.stopped();
    },
  };
};
