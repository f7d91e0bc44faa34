import { describe, expect, it } from 'vitest';
import type { Storage } from '../../src/storage/keyv.js';

export const collect = async <T>(entries: AsyncIterable<[string, T]>) => {
  const found: Array<[string, T]> = [];
  for await (const entry of entries) found.push(entry);
  return found.sort(([a], [b]) => a.localeCompare(b));
};

/**
 * The store contract's atomic operations (`update`, `increment`), run by `describeStoreContract`
 * against every backend: `open` gives a storage over fresh data, `advance` moves its time.
 */
export const describeAtomicOps = ({
  open,
  advance,
}: {
  open: () => Promise<Storage>;
  advance: (ms: number) => Promise<void>;
}): void => {
  describe('update', () => {
    type Doc = { n: number; tags?: string[] };
    const cases: Array<{
      name: string;
      before?: Doc;
      change: (current: Doc | undefined) => Doc | undefined;
      result: Doc | undefined;
    }> = [
      { name: 'creates an absent record', change: (c) => c ?? { n: 1 }, result: { n: 1 } },
      {
        name: 'changes a stored one',
        before: { n: 1 },
        change: (c) => c && { n: c.n + 1 },
        result: { n: 2 },
      },
      {
        name: 'leaves a record as it is on undefined',
        before: { n: 5 },
        change: () => undefined,
        result: { n: 5 },
      },
      {
        name: 'writes nothing for an absent record left alone',
        change: () => undefined,
        result: undefined,
      },
      {
        name: 'keeps text keyv escapes (a leading colon) intact',
        change: () => ({ n: 0, tags: [':base64:aGk=', '::x', 'ünï'] }),
        result: { n: 0, tags: [':base64:aGk=', '::x', 'ünï'] },
      },
    ];
    for (const { name, before, change, result } of cases)
      it(name, async () => {
        const docs = (await open()).store<Doc>('docs');
        if (before) await docs.set('d', before);
        expect(await docs.update('d', change)).toEqual(result);
        expect(await docs.get('d')).toEqual(result);
        expect(await collect(docs.entries())).toEqual(result ? [['d', result]] : []);
      });

    it('refuses when the change throws: the error reaches the caller, nothing is written', async () => {
      const docs = (await open()).store<Doc>('docs');
      await docs.set('d', { n: 1 });
      const refusal = new Error('already decided');
      await expect(
        docs.update('d', () => {
          throw refusal;
        }),
      ).rejects.toBe(refusal);
      expect(await docs.get('d')).toEqual({ n: 1 });
    });

    it('keeps the expiry without a ttl, and sets a new one with it', async () => {
      const docs = (await open()).store<Doc>('docs');
      await docs.set('brief', { n: 1 }, 10_000);
      await docs.update('brief', (c) => c && { n: c.n + 1 });
      await docs.update('renewed', () => ({ n: 1 }), 10_000);
      await docs.update('lasting', () => ({ n: 1 }));
      await advance(6_000);
      expect(await docs.get('brief')).toEqual({ n: 2 });
      await docs.update('renewed', (c) => c && { n: c.n + 1 }, 10_000);
      await advance(6_000);
      expect(await docs.get('brief')).toBeUndefined();
      expect(await collect(docs.entries())).toEqual([
        ['lasting', { n: 1 }],
        ['renewed', { n: 2 }],
      ]);
      // An expired record is absent to `change`, and the new one does not inherit its expiry.
      expect(await docs.update('brief', (c) => (c ? undefined : { n: 9 }))).toEqual({ n: 9 });
      await advance(60_000);
      expect(await docs.get('brief')).toEqual({ n: 9 });
    });

    it('refuses a bad ttl before touching the record', async () => {
      const docs = (await open()).store<Doc>('docs');
      for (const ttl of [0, -1, 1.5, Number.NaN])
        await expect(docs.update('d', () => ({ n: 1 }), ttl)).rejects.toThrow(RangeError);
      expect(await docs.get('d')).toBeUndefined();
    });

    it('loses no write among 40 concurrent updates of one record', async () => {
      const docs = (await open()).store<Doc>('docs');
      await docs.set('d', { n: 0, tags: [] });
      const writers = Array.from({ length: 40 }, (_, i) => `w${i}`);
      await Promise.all(
        writers.map((writer) =>
          docs.update('d', (c) => c && { n: c.n + 1, tags: [...(c.tags ?? []), writer] }),
        ),
      );
      const final = await docs.get('d');
      expect(final?.n).toBe(40);
      expect([...(final?.tags ?? [])].sort()).toEqual([...writers].sort());
    });
  });

  describe('increment', () => {
    it('counts from 1, on from a number `set` wrote, and refuses a record that is not a number', async () => {
      const storage = await open();
      const counters = storage.store<number>('counters');
      expect([await counters.increment('a'), await counters.increment('a')]).toEqual([1, 2]);
      expect(await counters.get('a')).toBe(2);
      await counters.set('b', 41);
      expect(await counters.increment('b')).toBe(42);
      expect(await collect(counters.entries())).toEqual([
        ['a', 2],
        ['b', 42],
      ]);
      const mixed = storage.store<unknown>('mixed');
      await mixed.set('text', 'seven');
      await expect(mixed.increment('text')).rejects.toThrow();
      expect(await mixed.get('text')).toBe('seven');
    });

    it('hands out 1..50 exactly once to 50 concurrent callers', async () => {
      const counters = (await open()).store<number>('counters');
      const ids = await Promise.all(Array.from({ length: 50 }, () => counters.increment('seq')));
      expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await counters.get('seq')).toBe(50);
    });
  });
};
