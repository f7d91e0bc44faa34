/**
 * Recurring engine work (repo polling, the janitor, later the permadiff scan). The bree adapter
 * implements it; the engine only says what to run and how often.
 */
export interface Scheduler {
  /**
   * Runs `task` every `intervalMs`, first after one interval. A tick that comes while the previous
   * run of the same task is still going is skipped, never run twice at once. Names are unique.
   */
  every(name: string, intervalMs: number, task: () => Promise<void>): Promise<void>;
  /** No more ticks; resolves when the tasks still running have finished. */
  stop(): Promise<void>;
}
