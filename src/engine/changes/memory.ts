import type { Store } from '../ports/index.js';

/**
 * A store held in this process only, for a change store nobody gave a home (a noop cache built by
 * a test or a tool on its own): its records then point at bodies that go with the process, which
 * the noop cache treats as a miss on the next read.
 */
export const memoryStore = <T>(): Store<T> => {
  const records = new Map<string, T>();
  return {
    get: async (id) => records.get(id),
    set: async (id, value) => {
      records.set(id, value);
    },
    delete: async (id) => records.delete(id),
    async *entries() {
      yield* records;
    },
    update: async (id, change) => {
      const next = change(records.get(id));
      if (next !== undefined) records.set(id, next);
      return records.get(id);
    },
    increment: async (id) => {
      const next = Number(records.get(id) ?? 0) + 1;
      records.set(id, next as T);
      return next;
    },
  };
};
