import { App } from '@slack/bolt';
import type { ChatSurface } from '../surface.js';
import { missingSecret, type SlackCore, surfaceLife } from './core.js';
import { registerListeners } from './listeners.js';

/** Slack in Socket Mode: the bot dials out to Slack over a WebSocket, so nothing listens here. */
export const createSlackSocketSurface = (core: SlackCore): ChatSurface => {
  const { config, logger } = core;
  const life = surfaceLife();
  let app: App | undefined;
  const appToken = () => {
    const token = config.secrets.slackAppToken;
    if (!token)
      throw missingSecret('SLACK_APP_TOKEN', 'set it to the app-level token (xapp-…) of the Slack app');
    return token;
  };
  return {
    kind: 'slack-socket',
    chat: core.chat,
    ended: life.ended,
    connected: life.connected,
    async check() {
      appToken();
      await core.checkAuth();
    },
    async start(dispatcher) {
      life.starting();
      const token = appToken();
      const identity = await core.checkAuth();
      // The Socket Mode client opens its connection with a Web API client of its own, built from these.
      const installerOptions = { clientOptions: core.clientOptions() };
      const socketApp = new App({
        ...core.appOptions(identity),
        appToken: token,
        socketMode: true,
        installerOptions,
      });
      const onAck = core.ops?.onAck;
      registerListeners(socketApp, { ...core.listenerDeps(dispatcher), ...(onAck ? { onAck } : {}) });
      await socketApp.start();
      app = socketApp;
      logger.info({ botUserId: identity.botUserId, team: identity.team }, 'slack socket mode connected');
      return life.started({});
    },
    async stop() {
      const current = app;
      app = undefined;
      if (current) await current.stop();
      await core.settle();
      life.stopped();
    },
  };
};
