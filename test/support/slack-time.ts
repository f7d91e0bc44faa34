import type { Scheduler } from '../../src/bot/slack/call.js';

/**
 * Time that moves only when a test moves it, for SlackChat's Retry-After waits and update budget
 * while its calls go to the fake Slack server for real. A test waits for the code under test to
 * reach a wait (an event, never a sleep), then moves time to when that wait ends.
 */
export const manualTime = (start = 1_700_000_000_000) => {
  let now = start;
  let timers: Array<{ due: number; resolve: () => void }> = [];
  let watchers: Array<() => void> = [];
  const scheduler: Scheduler = {
    now: () => now,
    wait: (ms) =>
      new Promise<void>((resolve) => {
        timers.push({ due: now + Math.max(0, ms), resolve });
        for (const watcher of watchers) watcher();
        watchers = [];
      }),
  };
  return {
    scheduler,
    now: () => now,
    /** Waits still to end, soonest first, as milliseconds from now. */
    pending: () => timers.map((t) => t.due - now).sort((a, b) => a - b),
    /** Resolves once something waits (at once if something already does). */
    untilWaiting: (): Promise<void> =>
      timers.length > 0 ? Promise.resolve() : new Promise<void>((resolve) => watchers.push(resolve)),
    /** Moves time on by `ms`, ending every wait due by then. */
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.due <= now);
      timers = timers.filter((t) => t.due > now);
      for (const t of due) t.resolve();
    },
    /** Moves time to the end of the soonest wait. */
    advanceToNext() {
      const soonest = Math.min(...timers.map((t) => t.due));
      if (Number.isFinite(soonest)) this.advance(Math.max(0, soonest - now));
    },
    /** Moves time from wait to wait until `work` settles; resolves with it. */
    async drive<T>(work: Promise<T>): Promise<T> {
      let finished = false;
      const done = work.then(
        () => (finished = true),
        () => (finished = true),
      );
      while (!finished) {
        await Promise.race([this.untilWaiting(), done]);
        if (!finished) this.advanceToNext();
      }
      return work;
    },
  };
};

export type ManualTime = ReturnType<typeof manualTime>;
