import later from '@breejs/later';
import cronModule from 'cron-validate';

// A CommonJS module with `exports.default`: Node hands the whole exports object to a default
// import, bundler-style interop (vitest) the function itself.
type Validate = typeof cronModule.default;
const cronValidate: Validate =
  typeof cronModule === 'function' ? (cronModule as Validate) : cronModule.default;

/**
 * Cron expressions as bree reads them: validated by cron-validate (bree's own validator) and parsed
 * by @breejs/later (bree's parser), so what the config accepts is exactly what bree will run. Five
 * fields (minute hour day month weekday) as usual; six fields put seconds first (`*\/2 * * * * *`).
 * Day and month names (MON-FRI, JAN) are accepted.
 */
export interface CronCheck {
  ok: boolean;
  /** cron-validate's words for what is wrong; empty when ok. */
  errors: string[];
  hasSeconds: boolean;
}

const fieldsOf = (expression: string) => expression.trim().split(/\s+/).filter(Boolean).length;

/** The options bree's own validation needs to accept what `checkCron` accepts. */
export const cronValidateOptions = (hasSeconds: boolean) => ({
  preset: 'default' as const,
  override: { useSeconds: hasSeconds, useAliases: true },
});

export const checkCron = (expression: string): CronCheck => {
  const hasSeconds = fieldsOf(expression) === 6;
  const result = cronValidate(expression.trim(), cronValidateOptions(hasSeconds));
  if (!result.isValid()) return { ok: false, errors: result.getError(), hasSeconds };
  return { ok: true, errors: [], hasSeconds };
};

/** An IANA time zone this Node knows (`Europe/Berlin`), or `local` / `system` for the machine's own. */
export const checkTimeZone = (timezone: string): boolean => {
  if (timezone === 'local' || timezone === 'system') return true;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
};

/** Wall-clock time in `timezone` minus the instant: +1 h for Berlin in winter. */
const offsetMs = (at: number, timezone: string): number => {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(at / 1000) * 1000;
};

/**
 * The next `count` instants after `from` (epoch ms) at which the expression fires in `timezone`:
 * the schedule is matched against the zone's wall clock (09:00 in Berlin is 08:00 UTC in winter and
 * 07:00 UTC in summer). Pure: @breejs/later's global UTC/local mode is set for the call and restored.
 */
export const nextRuns = (expression: string, timezone: string, from: number, count: number): number[] => {
  const check = checkCron(expression);
  if (!check.ok) throw new RangeError(`invalid cron '${expression}': ${check.errors.join('; ')}`);
  const zone = timezone === 'local' || timezone === 'system' ? undefined : timezone;
  const wasUtc = (later.date as unknown as { isUTC: boolean }).isUTC;
  later.date.UTC();
  try {
    const schedule = later.schedule(later.parse.cron(expression.trim(), check.hasSeconds));
    const runs: number[] = [];
    let cursor = from;
    // A wall-clock time skipped by a DST change can map back before `from`; a few rounds settle it.
    for (let round = 0; runs.length < count && round < count + 10; round += 1) {
      const offset = zone ? offsetMs(cursor, zone) : -new Date(cursor).getTimezoneOffset() * 60_000;
      const found = schedule.next(count - runs.length + 1, new Date(cursor + offset));
      const walls = (Array.isArray(found) ? found : found ? [found] : []).filter(
        (date): date is Date => date instanceof Date,
      );
      if (walls.length === 0) break;
      for (const wall of walls) {
        const guess = wall.getTime() - (zone ? offsetMs(wall.getTime(), zone) : offset);
        const instant = wall.getTime() - (zone ? offsetMs(guess, zone) : offset);
        if (instant > from && !runs.includes(instant) && runs.length < count) runs.push(instant);
      }
      cursor = Math.max(cursor + 1000, (runs.at(-1) ?? cursor) + 1000);
    }
    return runs.sort((a, b) => a - b);
  } finally {
    if (!wasUtc) later.date.localTime();
  }
};
