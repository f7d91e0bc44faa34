import type { IncomingMessage } from 'node:http';

/** Bytes held by all bodies being read; a reader past the limit pauses until others let go. */
export class BodyBudget {
  private used = 0;
  private waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  hold(bytes: number): void {
    this.used += bytes;
  }

  /** True when the caller may read on; otherwise `resume` runs once there is room. */
  roomFor(resume: () => void): boolean {
    if (this.used <= this.limit) return true;
    this.waiting.push(resume);
    return false;
  }

  release(bytes: number): void {
    this.used -= bytes;
    while (this.used <= this.limit && this.waiting.length > 0) this.waiting.shift()?.();
  }

  forget(resume: () => void): void {
    this.waiting = this.waiting.filter((w) => w !== resume);
  }
}

export type BodyOutcome =
  | { kind: 'ok'; body: Buffer; release(): void }
  | { kind: 'too-large' }
  | { kind: 'timeout' }
  | { kind: 'aborted' };

export interface ReadBodyOptions {
  maxBytes: number;
  timeoutMs: number;
  budget: BodyBudget;
}

/**
 * Reads a request body of at most `maxBytes` within `timeoutMs`, counting as it streams (a chunked
 * body has no length to check first). Held bytes count against the shared budget until `release`;
 * past the budget, reading pauses and TCP pushes back on the sender.
 */
export const readBody = (req: IncomingMessage, options: ReadBodyOptions): Promise<BodyOutcome> =>
  new Promise((resolve) => {
    const { budget } = options;
    const parts: Buffer[] = [];
    let size = 0;
    let settled = false;
    const resume = () => req.resume();
    const finish = (outcome: BodyOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      budget.forget(resume);
      req.off('data', onData);
      if (outcome.kind !== 'ok') {
        parts.length = 0;
        budget.release(size);
      }
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), options.timeoutMs);
    const onData = (part: Buffer) => {
      size += part.length;
      budget.hold(part.length);
      if (size > options.maxBytes) return finish({ kind: 'too-large' });
      parts.push(part);
      if (!budget.roomFor(resume)) req.pause();
    };
    req.on('data', onData);
    req.once('end', () => {
      if (settled) return;
      let released = false;
      const body = Buffer.concat(parts, size);
      parts.length = 0;
      finish({
        kind: 'ok',
        body,
        release: () => {
          if (released) return;
          released = true;
          budget.release(size);
        },
      });
    });
    req.once('error', () => finish({ kind: 'aborted' }));
    req.once('close', () => finish({ kind: 'aborted' }));
  });
