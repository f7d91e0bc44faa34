import type { Store } from '../engine/ports/store.js';

/**
 * `update` and `increment` for a store one process owns (the build log files, in-memory stores):
 * changes to one record run one after another in this process, which is all the atomicity such
 * a store needs. TTLs are passed to `set` as they are (these stores keep none on their own).
 */
export const inProcessAtomics = <T>(
  store: Pick<Store<T>, 'get' | 'set'>,
): Pick<Store<T>, 'update' | 'increment'> => {
  const queues = new Map<string, Promise<unknown>>();
  const oneAtATime = <R>(id: string, work: () => Promise<R>): Promise<R> => {
    const next = (queues.get(id) ?? Promise.resolve()).then(work, work);
    const settled = next.catch(() => undefined);
    queues.set(id, settled);
    // Forget the queue once it drains, so ids seen once do not pile up.
    void settled.then(() => queues.get(id) === settled && queues.delete(id));
    return next;
  };
  const update: Store<T>['update'] = (id, change, ttlMs) =>
    oneAtATime(id, async () => {
      const current = await store.get(id);
      const next = change(current === undefined ? undefined : structuredClone(current));
      if (next === undefined) return current;
      await store.set(id, next, ttlMs);
      return structuredClone(next);
    });
  return {
    update,
    increment: async (id) =>
      (await update(id, (current) => {
        if (current !== undefined && typeof current !== 'number')
          throw new TypeError(`${id} holds a ${typeof current}, not a counter`);
        return (((current as number | undefined) ?? 0) + 1) as T;
      })) as number,
  };
};

/** A Store in a Map, for tests and wiring that need one without a backend. Values are copied in and out. */
export const createMemoryStore = <T>(): Store<T> => {
  const data = new Map<string, T>();
  const base: Pick<Store<T>, 'get' | 'set'> = {
    get: async (id) => {
      const value = data.get(id);
      return value === undefined ? undefined : structuredClone(value);
    },
    set: async (id, value) => void data.set(id, structuredClone(value)),
  };
  return {
    ...base,
    delete: async (id) => data.delete(id),
    entries: async function* () {
      for (const [id, value] of [...data]) yield [id, structuredClone(value)];
    },
    ...inProcessAtomics(base),
  };
};
