import { App, SocketModeReceiver } from '@slack/bolt';
import type { ChatSurface } from '../surface.js';
import { missingSecret, type SlackCore, type SocketModeOptions, surfaceLife } from './core.js';
import { registerListeners } from './listeners.js';
import { guardSocketMessages } from './socket-guard.js';
import { closeSocket, startSocket } from './socket-start.js';
import { checkAppToken } from './startup.js';

/** Slack in Socket Mode: the bot dials out to Slack over a WebSocket, so nothing listens here. */
export const createSlackSocketSurface = (core: SlackCore, options: SocketModeOptions = {}): ChatSurface => {
  const { config, logger } = core;
  const life = surfaceLife();
  let receiver: SocketModeReceiver | undefined;
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
      const token = appToken();
      await core.checkAuth();
      // Only after the bot token passed: a wrong slack.apiUrl is named by auth.test's failure.
      const { slackApiUrl = config.slack.apiUrl, ...rest } = core.clientOptions();
      await checkAppToken(token, { ...rest, slackApiUrl });
    },
    async start(dispatcher) {
      life.starting();
      const token = appToken();
      const identity = await core.checkAuth();
      const socketReceiver = new SocketModeReceiver({
        appToken: token,
        logger: core.slackLog,
        logLevel: core.level,
        // apps.connections.open goes to slack.apiUrl with these (timeout, retries, logger), not to slack.com.
        installerOptions: { clientOptions: core.clientOptions() },
        ...(options.clientPingTimeoutMs ? { clientPingTimeout: options.clientPingTimeoutMs } : {}),
      });
      guardSocketMessages(socketReceiver.client, logger);
      const socketApp = new App({ ...core.appOptions(identity), receiver: socketReceiver, socketMode: true });
      const onAck = core.ops?.onAck;
      registerListeners(socketApp, { ...core.listenerDeps(dispatcher), ...(onAck ? { onAck } : {}) });
      await startSocket(
        () => socketApp.start(),
        socketReceiver.client,
        config.slack.apiUrl,
        options.startTimeoutMs,
      );
      receiver = socketReceiver;
      logger.info({ botUserId: identity.botUserId, team: identity.team }, 'slack socket mode connected');
      return life.started({});
    },
    async stop() {
      const current = receiver;
      receiver = undefined;
      // Bolt's stop() does not wait for the close handshake; closeSocket does.
      if (current) await closeSocket(current.client);
      await core.settle();
      life.stopped();
    },
  };
};
