import type { Scheduler } from './call.js';

/** How many `chat.update` calls the bot makes, all messages together. */
export interface UpdateBudget {
  /** Updates that may go at once after a quiet spell. */
  burst: number;
  /** Sustained rate. Slack's chat.update is a "Tier 3" method: 50+ a minute per workspace. */
  perMinute: number;
}

export const DEFAULT_UPDATE_BUDGET: UpdateBudget = { burst: 10, perMinute: 50 };

/** Tokens refilled at `perMinute`, at most `burst` saved; takers are served in order. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private readonly queue: Array<() => void> = [];
  private timing = false;

  constructor(
    private readonly budget: UpdateBudget,
    private readonly scheduler: Scheduler,
  ) {
    this.tokens = budget.burst;
    this.last = scheduler.now();
  }

  /** Resolves when the caller may make one call. */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.pump();
    });
  }

  /** Slack said to wait (Retry-After): nobody goes before `ms` from now, and the saved tokens are gone. */
  pause(ms: number): void {
    this.pump();
    this.tokens = 0;
    this.pausedUntil = Math.max(this.pausedUntil, this.scheduler.now() + ms);
  }

  private pump(): void {
    const now = this.scheduler.now();
    const perMs = this.budget.perMinute / 60_000;
    this.tokens = Math.min(this.budget.burst, this.tokens + (now - this.last) * perMs);
    this.last = now;
    while (this.queue.length > 0 && now >= this.pausedUntil && this.tokens >= 1) {
      this.tokens -= 1;
      this.queue.shift()?.();
    }
    if (this.queue.length === 0 || this.timing) return;
    const due = Math.max(this.pausedUntil - now, (1 - this.tokens) / perMs, 1);
    this.timing = true;
    void this.scheduler.wait(Math.ceil(due)).then(() => {
      this.timing = false;
      this.pump();
    });
  }
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Slot<T> {
  latest: T | undefined;
  waiters: Waiter[];
  rateLimited: number;
}

/**
 * Updates of messages under one budget. Each message's updates are written one at a time and only
 * its latest state is: an update that waits for its turn is replaced by a newer one of the same
 * message (both callers resolve when the newer is written), never dropped. A 429 puts the state
 * back (unless a newer one came) and pauses the bucket for Retry-After; after `maxRateLimited`
 * 429s in a row the callers get the error (it carries Retry-After, for their own throttle).
 */
export class UpdateGate<T> {
  private readonly slots = new Map<string, Slot<T>>();

  constructor(
    private readonly bucket: TokenBucket,
    /** Writes one state; takes a further token before each extra update it makes. */
    private readonly write: (value: T, take: () => Promise<void>) => Promise<void>,
    private readonly maxRateLimited = 5,
  ) {}

  submit(key: string, value: T): Promise<void> {
    return new Promise((resolve, reject) => {
      const running = this.slots.get(key);
      if (running) {
        running.latest = value;
        running.waiters.push({ resolve, reject });
        return;
      }
      const slot: Slot<T> = { latest: value, waiters: [{ resolve, reject }], rateLimited: 0 };
      this.slots.set(key, slot);
      void this.run(key, slot);
    });
  }

  private async run(key: string, slot: Slot<T>): Promise<void> {
    while (slot.latest !== undefined) {
      await this.bucket.take();
      const value = slot.latest;
      const waiters = slot.waiters;
      slot.latest = undefined;
      slot.waiters = [];
      try {
        await this.write(value, () => this.bucket.take());
        slot.rateLimited = 0;
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
        if (typeof retryAfterMs === 'number' && slot.rateLimited < this.maxRateLimited) {
          slot.rateLimited += 1;
          this.bucket.pause(retryAfterMs);
          if (slot.latest === undefined) slot.latest = value;
          slot.waiters = [...waiters, ...slot.waiters];
          continue;
        }
        slot.rateLimited = 0;
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.slots.delete(key);
  }
}
