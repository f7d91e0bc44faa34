import type { Dispatcher } from '../commands/dispatch.js';
import type { Chat } from '../engine/ports/chat.js';

/** `headless`: a Chat with no requests coming in (tests and benches drive the dispatcher). */
export type SurfaceKind = 'slack-http' | 'slack-socket' | 'shell' | 'headless';

export interface SurfaceStarted {
  /** The HTTP port requests arrive on; absent when the surface listens on none (Socket Mode, the shell). */
  port?: number;
}

/**
 * Where people talk to the bot, as Bolt's Receiver is to an App: requests come in and go to the
 * dispatcher, answers go out through `chat`. Slack over HTTP, Slack in Socket Mode and the terminal
 * implement it; composeApp picks one from the config and nothing past it knows which.
 */
export interface ChatSurface {
  readonly kind: SurfaceKind;
  /** The Chat port, usable before `start` so the services can be built before the dispatcher. */
  readonly chat: Chat;
  /**
   * Whether this surface can work at all (Slack: auth.test, once, quickly), before the rest of the
   * bot is composed: a bad token or a wrong address then fails the start at once, in one line.
   */
  check(): Promise<void>;
  /** Starts taking requests (after `check`, which it runs if nobody did); resolves once it does. */
  start(dispatcher: Dispatcher): Promise<SurfaceStarted>;
  /** Whether requests can arrive now (started, and not stopped or ended). */
  connected(): boolean;
  /**
   * Settles when the surface has ended by itself: the shell at `exit` or the end of its input.
   * Slack never ends by itself, so for it this settles only once `stop` has.
   */
  readonly ended: Promise<void>;
  /** Stops taking requests and waits for those already handed to the dispatcher. */
  stop(): Promise<void>;
}
