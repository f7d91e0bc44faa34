import type { App } from '@slack/bolt';
import type { Dispatcher } from '../../commands/dispatch.js';
import type { HomeService } from '../../engine/home/service.js';
import type { Chat } from '../../engine/ports/chat.js';
import type { Logger } from '../../engine/ports/logger.js';
import type { Message } from '../../engine/ports/message.js';
import { toHomeView } from '../render/blocks.js';
import { callSlack } from './call.js';

/** The App Home tab's only Web API call: views.publish of the rendered dashboard. */
export const homePublisher =
  (
    client: {
      views: { publish(args: { user_id: string; view: ReturnType<typeof toHomeView> }): Promise<unknown> };
    },
    /** How the call is made: SlackChat.call honours Retry-After. */
    call: <T>(method: string, run: () => Promise<T>) => Promise<T> = callSlack,
  ) =>
  async (user: string, message: Message): Promise<void> => {
    await call('views.publish', () => client.views.publish({ user_id: user, view: toHomeView(message) }));
  };

/** What a command answers `user` (their roles decide): the Home tab shows answers, never its own logic. */
export const answerOf = async (
  dispatcher: Dispatcher,
  text: string,
  user: string,
  channel: string = user,
): Promise<Message | undefined> => {
  let answer: Message | undefined;
  await dispatcher.dispatch({
    text,
    user,
    channel,
    respond: async (message) => {
      answer = message;
    },
  });
  return answer;
};

/**
 * The Home tab: the user's dashboard (`/heckler home`), then the commands they may run
 * (`/heckler help`); the view's 100-block limit cuts from the end, so help gives way first.
 */
export const homeTab = (dashboard: Message, help: Message | undefined): Message =>
  help
    ? { text: dashboard.text, blocks: [...dashboard.blocks, { kind: 'divider' }, ...help.blocks] }
    : dashboard;

/** `app_home_opened` on the Home tab: the user's tab, published as they open it. */
export const registerAppHome = (
  app: App,
  deps: { dispatcher: Dispatcher; publishHome(user: string, message: Message): Promise<void> },
): void => {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== undefined && event.tab !== 'home') return;
    const [dashboard, help] = [
      await answerOf(deps.dispatcher, 'home', event.user, event.channel),
      await answerOf(deps.dispatcher, 'help', event.user, event.channel),
    ];
    const tab = dashboard ?? help;
    if (tab) await deps.publishHome(event.user, dashboard ? homeTab(dashboard, help) : tab);
  });
};

/**
 * Publishes each dashboard the home service says changed (its refreshes are debounced), with the
 * user's help under it as on opening; returns the unsubscribe. Without a home tab (the terminal)
 * there is nothing to publish.
 */
export const keepHomesFresh = (
  home: HomeService,
  chat: Chat,
  logger: Logger,
  dispatcher: Dispatcher,
): (() => void) =>
  home.onChange(async ({ users, dashboards }) => {
    if (!chat.home) return;
    for (const user of users) {
      const dashboard = dashboards.get(user);
      if (!dashboard) continue;
      const help = await answerOf(dispatcher, 'help', user);
      await chat
        .home(user, homeTab(dashboard, help))
        .catch((error: unknown) => logger.warn({ err: error, user }, 'could not publish a home dashboard'));
    }
  });
