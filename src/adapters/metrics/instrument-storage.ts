import type { Metrics } from '../../engine/ports/metrics.js';
import type { HeldLock, Locks, Store } from '../../engine/ports/store.js';

/** The part of src/storage's Storage that services use: record stores and locks. */
export interface InstrumentableStorage {
  store<T>(namespace: string): Store<T>;
  readonly locks: Locks;
}

/** A record's change as one writer saw it: what was stored before (if read) and what now is. */
type Transition = (before: unknown, after: unknown) => void;

interface Watch {
  /** Whether a write of `after` may be a transition worth counting (then `before` is read first). */
  interesting(after: unknown): boolean;
  observe: Transition;
}

const statusOf = (value: unknown): string | undefined => {
  const status = (value as { status?: unknown } | undefined)?.status;
  return typeof status === 'string' ? status : undefined;
};

const APPLY_LIVE = new Set(['planned', 'confirmed', 'running']);

/**
 * Counting from the records every service writes anyway: an audit entry for each decision, an
 * apply record reaching an end, a build record leaving the queue. A terminal write is counted once:
 * only when the record stored before it was not already there (a finished apply's message updates
 * write the same status again).
 */
const watches = (metrics: Metrics): Record<string, Watch> => ({
  audit: {
    interesting: () => false,
    observe: (_, after) => {
      const action = (after as { action?: unknown } | undefined)?.action;
      if (typeof action === 'string') metrics.reviewDecision(action);
    },
  },
  applies: {
    interesting: (after) => {
      const status = statusOf(after);
      return status !== undefined && !APPLY_LIVE.has(status);
    },
    observe: (before, after) => {
      const was = statusOf(before);
      const now = statusOf(after);
      if (now && !APPLY_LIVE.has(now) && (was === undefined || APPLY_LIVE.has(was)))
        metrics.applyFinished(now);
    },
  },
  builds: {
    interesting: (after) => statusOf(after) === 'running',
    observe: (before, after) => {
      if (statusOf(before) !== 'queued' || statusOf(after) !== 'running') return;
      const waitMs = (after as { waitMs?: unknown }).waitMs;
      if (typeof waitMs === 'number') metrics.buildStarted(waitMs);
    },
  },
});

/** Rejections are counted as store errors and passed on unchanged. */
const counted = <R>(metrics: Metrics, namespace: string, operation: string, work: () => Promise<R>) =>
  work().catch((error: unknown) => {
    metrics.storeError(namespace, operation);
    throw error;
  });

const countedIterable = <T>(
  metrics: Metrics,
  namespace: string,
  iterable: AsyncIterable<T>,
): AsyncIterable<T> => ({
  [Symbol.asyncIterator]() {
    const iterator = iterable[Symbol.asyncIterator]();
    return {
      next: () => counted(metrics, namespace, 'entries', () => iterator.next()),
      return: async (value?: unknown) =>
        iterator.return ? iterator.return(value) : { done: true as const, value: undefined },
    };
  },
});

const instrumentStore = <T>(store: Store<T>, namespace: string, metrics: Metrics, watch?: Watch): Store<T> =>
  new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const operation = property;
      if (operation === 'entries')
        return () =>
          countedIterable(metrics, namespace, (value as () => AsyncIterable<unknown>).call(target));
      if (watch && operation === 'set')
        return async (id: string, next: T, ttlMs?: number) => {
          const before = watch.interesting(next)
            ? await counted(metrics, namespace, 'get', () => target.get(id))
            : undefined;
          await counted(metrics, namespace, 'set', () => target.set(id, next, ttlMs));
          watch.observe(before, next);
        };
      if (watch && operation === 'update')
        // Compare-and-set: `fn` sees what was stored; its last call is the write that won.
        return async (id: string, fn: (current: unknown) => unknown, ...rest: unknown[]) => {
          let seen: { before: unknown; after: unknown } | undefined;
          const result = await counted(metrics, namespace, 'update', () =>
            (value as (...args: unknown[]) => Promise<unknown>).call(
              target,
              id,
              (current: unknown) => {
                const after = fn(current);
                seen = { before: current, after };
                return after;
              },
              ...rest,
            ),
          );
          if (seen && seen.after !== undefined) watch.observe(seen.before, seen.after);
          return result;
        };
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof Promise ? counted(metrics, namespace, operation, () => result) : result;
      };
    },
  });

const instrumentHeld = (lock: HeldLock, metrics: Metrics): HeldLock => ({
  ...lock,
  renew: (ttlMs) => counted(metrics, 'locks', 'renew', () => lock.renew(ttlMs)),
  release: () => counted(metrics, 'locks', 'release', () => lock.release()),
});

/** Every lock operation counted the same way, methods the port gains later included. */
const instrumentLocks = (locks: Locks, metrics: Metrics): Locks =>
  new Proxy(locks, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (property === 'acquire')
        return async (...args: Parameters<Locks['acquire']>) => {
          const result = await counted(metrics, 'locks', 'acquire', () => target.acquire(...args));
          return result.ok ? { ok: true, lock: instrumentHeld(result.lock, metrics) } : result;
        };
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof Promise ? counted(metrics, 'locks', property, () => result) : result;
      };
    },
  });

/**
 * The same storage, counted: failed operations by namespace, review decisions from audit entries,
 * apply ends and build waits from their records. A decorator at the composition root, so no engine
 * service needs to know that anything is counted.
 */
export const instrumentStorage = <S extends InstrumentableStorage>(storage: S, metrics: Metrics): S => {
  const stores = new Map<string, Store<unknown>>();
  const watched = watches(metrics);
  const locks = instrumentLocks(storage.locks, metrics);
  const store = <T>(namespace: string): Store<T> => {
    const existing = stores.get(namespace);
    if (existing) return existing as Store<T>;
    const made = instrumentStore(storage.store<T>(namespace), namespace, metrics, watched[namespace]);
    stores.set(namespace, made as Store<unknown>);
    return made;
  };
  return new Proxy(storage, {
    get(target, property, receiver) {
      if (property === 'store') return store;
      if (property === 'locks') return locks;
      return Reflect.get(target, property, receiver);
    },
  });
};
