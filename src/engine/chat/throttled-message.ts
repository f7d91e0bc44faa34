import type { Chat, MessageRef } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { Message } from '../ports/message.js';

/**
 * One chat message that follows something long-running (a build, an apply), edited at most once
 * per `minUpdateMs`: Slack rate-limits edits of one message, and a person reads it no faster.
 * Changes in between are coalesced into the next edit, which renders whatever is latest then, and
 * the last state is always sent. An edit refused for rate (an error carrying `retryAfterMs`, as
 * SlackApiError does for a 429) is sent again, with the latest state, once that time has passed —
 * up to MAX_RATE_LIMITED times in a row before it is reported. Thread replies go through `queue`,
 * in order with the edits.
 */
/** Default gap between two edits of one message. */
export const MIN_UPDATE_MS = 1_200;
/** Edits refused for rate in a row before the throttle reports the error and waits for a change. */
export const MAX_RATE_LIMITED = 5;

/** Slack's Retry-After (or any chat's), when `error` says the call was refused for rate. */
export const retryAfterOf = (error: unknown): number | undefined => {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
};

export interface ThrottledMessageOptions {
  chat: Pick<Chat, 'update'>;
  clock: Clock;
  /** The message as it stands now; called when an edit is sent, so coalesced changes show their latest. */
  render(): Message;
  /** Posts the message the first time it is needed (unless `ref` or `find` gives it). */
  post(message: Message): Promise<MessageRef>;
  /** The message already exists (posted earlier, or by a bot process before a restart). */
  ref?: MessageRef;
  /** Looks up a message posted earlier, before posting a new one. */
  find?(): Promise<MessageRef | undefined>;
  /** Default MIN_UPDATE_MS (1.2 s). */
  minUpdateMs?: number;
  /** Waits before a held-back edit; tests pass a fake. */
  wait?: (ms: number) => Promise<void>;
  /** A chat call failed: the message is best effort, the work it follows goes on. */
  onError(error: unknown): void;
  /** After each edit attempt; `idle`: nothing changed since and no edit is held back. */
  onSent?(state: { idle: boolean }): void;
  /** Wraps every piece of chat work, so an owner can wait for all of its messages at once. */
  track?<T>(work: Promise<T>): Promise<T>;
}

export interface ThrottledMessage {
  /** Something changed: edit now when the last edit is old enough, else once when it is. */
  changed(): void;
  /** Edit if something changed and has not been sent yet (posting the message first if needed). */
  refresh(): void;
  /** Runs `op` after every call asked for so far, with the message's ref (posted first if needed). */
  queue(op: (ref: MessageRef) => Promise<unknown>): void;
  /** Resolves when everything asked for so far has been sent, held-back edits included. */
  settled(): Promise<void>;
}

export const createThrottledMessage = (options: ThrottledMessageOptions): ThrottledMessage => {
  const { clock } = options;
  const minUpdateMs = options.minUpdateMs ?? MIN_UPDATE_MS;
  const wait = options.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let ref = options.ref;
  let lastSent = 0;
  /** Not before this (Retry-After of the last refused edit). */
  let notBefore = 0;
  let rateLimited = 0;
  let dirty = true;
  let delayed = false;
  let chain: Promise<void> = Promise.resolve();
  let inflight = 0;
  let idleWaiters: Array<() => void> = [];

  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight += 1;
    const tracked = work.finally(() => {
      inflight -= 1;
      if (inflight > 0) return;
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    });
    return options.track ? options.track(tracked) : tracked;
  };

  const enqueue = (op: () => Promise<unknown>) => {
    chain = track(chain.then(op).then(() => undefined, options.onError));
  };

  const ensurePosted = async (): Promise<MessageRef> => {
    if (ref) return ref;
    const earlier = await options.find?.();
    if (earlier) {
      ref = earlier;
      return earlier;
    }
    lastSent = clock.now();
    dirty = false;
    ref = await options.post(options.render());
    return ref;
  };

  /** Sends the latest state once `ms` have passed (one such wait at a time). */
  const hold = (ms: number) => {
    delayed = true;
    void track(
      wait(ms).then(() => {
        delayed = false;
        enqueue(send);
      }),
    );
  };

  const send = async () => {
    const target = await ensurePosted();
    if (dirty) {
      dirty = false;
      lastSent = clock.now();
      try {
        await options.chat.update(target, options.render());
        rateLimited = 0;
      } catch (error) {
        const retryAfterMs = retryAfterOf(error);
        if (retryAfterMs === undefined || rateLimited >= MAX_RATE_LIMITED) {
          rateLimited = 0;
          throw error;
        }
        // Refused for rate: the state is not lost, it goes (as the latest then) after Retry-After.
        rateLimited += 1;
        dirty = true;
        notBefore = clock.now() + retryAfterMs;
        if (!delayed) hold(Math.max(retryAfterMs, minUpdateMs));
        return;
      }
    }
    options.onSent?.({ idle: !dirty && !delayed });
  };

  const refresh = () =>
    enqueue(async () => {
      await ensurePosted();
      if (!dirty || delayed) return;
      const due = Math.max(lastSent + minUpdateMs, notBefore) - clock.now();
      if (due <= 0) return send();
      hold(due);
    });

  return {
    changed() {
      dirty = true;
      refresh();
    },
    refresh,
    queue: (op) => enqueue(async () => op(await ensurePosted())),
    settled: () =>
      inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
  };
};
