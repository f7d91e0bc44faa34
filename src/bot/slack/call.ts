import { webApi } from '@slack/bolt';

/** Time as SlackChat sees it; tests pass a fake one that moves when they say. */
export interface Scheduler {
  now(): number;
  wait(ms: number): Promise<void>;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A failed Web API call. `slackError` is Slack's own code (`channel_not_found`, `invalid_auth`,
 * `ratelimited`, …) so callers can branch on it; the message names it too, for people. A rate-limited
 * call carries `retryAfterMs`, Slack's Retry-After: the engine's throttle waits that long.
 */
export class SlackApiError extends Error {
  readonly method: string;
  readonly slackError: string;
  readonly retryAfterMs: number | undefined;

  constructor(method: string, slackError: string, cause: unknown, retryAfterMs?: number) {
    super(`slack ${method} failed: ${slackError}`, { cause });
    this.name = 'SlackApiError';
    this.method = method;
    this.slackError = slackError;
    this.retryAfterMs = retryAfterMs;
  }
}

const slackErrorCode = (error: unknown): string => {
  if (!(error instanceof webApi.SlackError)) return error instanceof Error ? error.message : String(error);
  if (error instanceof webApi.WebAPIPlatformError) return String(error.data.error);
  if (error instanceof webApi.WebAPIRateLimitedError) return 'ratelimited';
  if (error instanceof webApi.WebAPIHTTPError) return `http_${error.statusCode}`;
  return error.code;
};

/** Slack's Retry-After of a 429, when the client hands it back (`rejectRateLimitedCalls: true`). */
const retryAfterMsOf = (error: unknown): number | undefined =>
  error instanceof webApi.WebAPIRateLimitedError ? Math.max(0, error.retryAfter) * 1000 : undefined;

const toSlackApiError = (method: string, error: unknown): SlackApiError =>
  error instanceof SlackApiError
    ? error
    : new SlackApiError(method, slackErrorCode(error), error, retryAfterMsOf(error));

/** Runs one Web API call, turning its failure into a SlackApiError that names Slack's code. */
export const callSlack = async <T>(method: string, call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw toSlackApiError(method, error);
  }
};

/**
 * Slack rate-limits each method on its own and says for how long with Retry-After. After a 429,
 * calls of that method wait until then (calls of other methods do not), and the call is tried
 * again, up to `retries` times; past that it fails with `ratelimited` and the Retry-After.
 */
export class RateLimits {
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly retries: number,
  ) {}

  async call<T>(method: string, call: () => Promise<T>, retries = this.retries): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      await this.ready(method);
      try {
        return await call();
      } catch (error) {
        const failure = toSlackApiError(method, error);
        if (failure.retryAfterMs === undefined || attempt >= retries) throw failure;
        this.block(method, failure.retryAfterMs);
      }
    }
  }

  /** Calls of `method` wait `ms` from now. */
  block(method: string, ms: number): void {
    const until = this.scheduler.now() + ms;
    this.blocked.set(method, Math.max(this.blocked.get(method) ?? 0, until));
  }

  private async ready(method: string): Promise<void> {
    const wait = (this.blocked.get(method) ?? 0) - this.scheduler.now();
    if (wait > 0) await this.scheduler.wait(wait);
    else this.blocked.delete(method);
  }
}

/**
 * Work that follows an ack (running a command, posting its answer) starts here one piece per turn
 * of the event loop, so requests still waiting for their ack are read and acked first: each turn's
 * I/O comes before the next piece. At most `limit` pieces run at once; for answers posted to
 * response_url that keeps a few connections busy instead of opening one per answer.
 */
export class TurnQueue {
  private readonly waiting: Array<() => void> = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly limit = Number.POSITIVE_INFINITY,
    /** Calls `next` on a later turn; setImmediate, or a test's hand-cranked turns. */
    private readonly turn: (next: () => void) => void = setImmediate,
  ) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => {
        this.running += 1;
        let result: Promise<T>;
        try {
          result = work();
        } catch (error) {
          result = Promise.reject(error);
        }
        void result.then(resolve, reject).finally(() => {
          this.running -= 1;
          this.schedule();
        });
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.running >= this.limit) return;
    this.scheduled = true;
    this.turn(() => {
      this.scheduled = false;
      if (this.running < this.limit) this.waiting.shift()?.();
      this.schedule();
    });
  }
}

/** Starts a quiet-period timer; the returned function cancels it. */
export type QuietTimer = (fire: () => void) => () => void;

/**
 * How long no Slack request must arrive before held work goes on. Under load a burst reaches us
 * one request at a time, a few milliseconds apart: without this, the work held back would run in
 * every gap and each ack would wait behind an answer.
 */
export const QUIET_MS = 25;

/**
 * The longest held work waits while requests keep coming: then one piece goes anyway, so a steady
 * stream of requests less than `QUIET_MS` apart slows the bot's background work, never stops it.
 */
export const HOLD_LIMIT_MS = 250;

const quietAfter =
  (ms: number): QuietTimer =>
  (fire) => {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  };

/**
 * Slack requests received and not yet answered. Work after an ack (and the bot's background steps)
 * waits for its turn until none are and none has arrived for a quiet moment (`QUIET_MS`), so a
 * burst is acked before its commands run and their answers go out; after every `passEvery`
 * answered requests, and whenever work has waited `HOLD_LIMIT_MS`, one waiting piece goes anyway,
 * so a steady stream of requests cannot starve the answers or the bot's background work.
 */
export class AckWaits {
  private unanswered = 0;
  private answeredSincePass = 0;
  private readonly queued: Array<() => void> = [];
  /** No request has arrived since the last quiet period ended (true before any request). */
  private settled = true;
  private cancelQuiet: (() => void) | undefined;
  private cancelHold: (() => void) | undefined;

  constructor(
    private readonly passEvery = 64,
    private readonly later: (next: () => void) => void = setImmediate,
    private readonly quiet: QuietTimer = quietAfter(QUIET_MS),
    private readonly holdLimit: QuietTimer = quietAfter(HOLD_LIMIT_MS),
  ) {}

  /** A request arrived; `answered` is called once when its response is done. */
  arrived(): () => void {
    this.unanswered += 1;
    this.settled = false;
    this.cancelQuiet?.();
    this.cancelQuiet = undefined;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.unanswered -= 1;
      this.answeredSincePass += 1;
      this.release();
    };
  }

  /** Runs `next` on a later turn once no request is unanswered or arriving (or its pass comes). */
  readonly turn = (next: () => void): void => {
    this.queued.push(next);
    this.release();
  };

  get waiting(): number {
    return this.queued.length;
  }

  private release(): void {
    if (this.settled) {
      this.answeredSincePass = 0;
      this.cancelHold?.();
      this.cancelHold = undefined;
      while (this.queued.length > 0) this.later(this.queued.shift() as () => void);
      return;
    }
    while (this.queued.length > 0 && this.answeredSincePass >= this.passEvery) {
      this.answeredSincePass = 0;
      this.later(this.queued.shift() as () => void);
    }
    if (this.queued.length > 0 && this.cancelHold === undefined) {
      this.cancelHold = this.holdLimit(() => {
        this.cancelHold = undefined;
        if (this.settled) return;
        const next = this.queued.shift();
        if (next) this.later(next);
        this.release();
      });
    }
    if (this.unanswered === 0 && this.cancelQuiet === undefined) {
      this.cancelQuiet = this.quiet(() => {
        this.cancelQuiet = undefined;
        if (this.unanswered > 0) return;
        this.settled = true;
        this.release();
      });
    }
  }
}

/** The one bot process's unanswered Slack requests: the HTTP gate counts them, listeners wait on them. */
export const slackAckWaits = new AckWaits();
