/** When a cron schedule fires: a cron expression read on the wall clock of a time zone. */
export interface CronSchedule {
  /** Five fields (minute hour day month weekday), or six with seconds first. */
  expression: string;
  /** IANA name (`Europe/Berlin`), or `local` for the machine's own. */
  timezone: string;
}

/**
 * Recurring engine work (repo polling, the janitor, the permadiff scan and digest). The bree
 * adapter implements it; the engine only says what to run and how often or when.
 */
export interface Scheduler {
  /**
   * Runs `task` every `intervalMs`, first after one interval. A tick that comes while the previous
   * run of the same task is still going is skipped, never run twice at once. Names are unique.
   */
  every(name: string, intervalMs: number, task: () => Promise<void>): Promise<void>;
  /** Runs `task` whenever the cron schedule fires, with the same no-overlap rule and unique names. */
  cron(name: string, schedule: CronSchedule, task: () => Promise<void>): Promise<void>;
  /** No more ticks; resolves when the tasks still running have finished. */
  stop(): Promise<void>;
}
