import { createHash } from 'node:crypto';
import type { Logger, Message, Store } from '../ports/index.js';
import { type HomeFacts, type HomeRoles, homeFactsFor, type SharedFacts } from './facts.js';

/** A timer the tests can drive: the debounce waits on it, never on the wall clock in tests. */
export interface HomeTimer {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimer: HomeTimer = {
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Users whose dashboards changed, with each one's new dashboard (what the App Home publishes). */
export interface HomeChange {
  users: string[];
  dashboards: ReadonlyMap<string, Message>;
}

/** Someone who opened their home (App Home or `/heckler home`): their dashboard is kept fresh. */
export interface HomeViewer {
  openedAt: number;
}

export interface HomeServiceDeps {
  /** Reads every fact any dashboard shows (stores only: no node, no chat). */
  gather(): Promise<SharedFacts>;
  present(facts: HomeFacts): Message;
  roles: HomeRoles;
  viewers: Store<HomeViewer>;
  clock: { now(): number };
  logger: Logger;
  timer?: HomeTimer;
  /** Changes within this long after the first become one refresh (default 2 s). */
  debounceMs?: number;
}

export interface HomeService {
  /** The user's dashboard now. */
  dashboard(user: string): Promise<Message>;
  /** The user looks at their home: kept fresh from now on; their dashboard now. */
  opened(user: string): Promise<Message>;
  /** Something a dashboard may show changed: one refresh after the debounce, whatever the burst. */
  changed(): void;
  /** Recomputes every viewer's dashboard now; tells listeners of those that differ from the last told. */
  refresh(): Promise<HomeChange>;
  /** Told of each refresh that changed someone's dashboard; returns the unsubscribe. */
  onChange(listener: (change: HomeChange) => Promise<void> | void): () => void;
  /** No more refreshes; waits for one running. */
  close(): Promise<void>;
}

/** Viewers who have not looked for this long are no longer refreshed. */
const VIEWER_TTL_MS = 30 * 86_400_000;

const hashOf = (message: Message) => createHash('sha256').update(JSON.stringify(message)).digest('hex');

export const createHomeService = (deps: HomeServiceDeps): HomeService => {
  const timer = deps.timer ?? systemTimer;
  const debounceMs = deps.debounceMs ?? 2_000;
  const listeners = new Set<(change: HomeChange) => Promise<void> | void>();
  /** What each viewer was last shown (by this replica): unchanged dashboards are not published again. */
  const shown = new Map<string, string>();
  let pending: unknown;
  let running: Promise<unknown> = Promise.resolve();
  let closed = false;

  const dashboardOf = (user: string, shared: SharedFacts) =>
    deps.present(homeFactsFor(user, shared, deps.roles));

  const tell = async (change: HomeChange) => {
    for (const listener of listeners)
      await Promise.resolve(listener(change)).catch((error: unknown) =>
        deps.logger.warn({ err: error }, 'could not publish a home dashboard'),
      );
  };

  const refresh = async (): Promise<HomeChange> => {
    const viewers: string[] = [];
    for await (const [user] of deps.viewers.entries()) viewers.push(user);
    const dashboards = new Map<string, Message>();
    if (viewers.length > 0) {
      const shared = await deps.gather();
      for (const user of viewers.sort()) {
        const dashboard = dashboardOf(user, shared);
        const hash = hashOf(dashboard);
        if (shown.get(user) === hash) continue;
        shown.set(user, hash);
        dashboards.set(user, dashboard);
      }
    }
    const change = { users: [...dashboards.keys()], dashboards };
    if (change.users.length > 0) await tell(change);
    return change;
  };

  /** One refresh at a time, in order: a change during a refresh is seen by the next one. */
  const queued = () => {
    const next = running.then(refresh, refresh);
    running = next.catch((error: unknown) => deps.logger.warn({ err: error }, 'home refresh failed'));
    return next;
  };

  return {
    async dashboard(user) {
      return dashboardOf(user, await deps.gather());
    },
    async opened(user) {
      await deps.viewers.set(user, { openedAt: deps.clock.now() }, VIEWER_TTL_MS);
      const dashboard = await this.dashboard(user);
      shown.set(user, hashOf(dashboard));
      return dashboard;
    },
    changed() {
      if (closed || pending !== undefined) return;
      pending = timer.set(() => {
        pending = undefined;
        void queued().catch(() => undefined);
      }, debounceMs);
    },
    refresh: () => queued(),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      if (pending !== undefined) timer.clear(pending);
      pending = undefined;
      await running;
    },
  };
};
