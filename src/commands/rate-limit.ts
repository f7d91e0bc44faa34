import type { Clock } from '../engine/ports/index.js';

export type Admission = { ok: true } | { ok: false; retryInMs: number };

/**
 * A sliding window per key (a user): at most `max` admissions in any `windowMs`. In memory: each
 * bot process counts its own requests, which is what protects that process's fleet fan-out.
 */
export const createRateLimiter = (options: { max: number; windowMs: number; clock: Clock }) => {
  const seen = new Map<string, number[]>();
  return {
    take(key: string): Admission {
      const now = options.clock.now();
      const recent = (seen.get(key) ?? []).filter((at) => now - at < options.windowMs);
      if (recent.length >= options.max) {
        seen.set(key, recent);
        return { ok: false, retryInMs: (recent[0] as number) + options.windowMs - now };
      }
      recent.push(now);
      seen.set(key, recent);
      return { ok: true };
    },
  };
};
