import { describe, expect, it } from 'vitest';
import { sharedBundles } from '../../../src/engine/runs/fleet-service.js';

const countingRepo = (fail = false) => {
  const calls: string[] = [];
  return {
    calls,
    bundle: async (sha: string, haves: readonly string[]) => {
      calls.push(`${sha}<-${haves.join(',')}`);
      if (fail) throw new Error('git bundle failed');
      return Buffer.from(`${sha}:${haves.join(',')}`);
    },
  };
};

describe('sharedBundles', () => {
  it('makes one bundle for every node asking for the same commit from the same HEAD', async () => {
    const repo = countingRepo();
    const bundle = sharedBundles(repo);
    const results = await Promise.all(Array.from({ length: 50 }, () => bundle('b', ['a'])));
    expect(repo.calls).toEqual(['b<-a']);
    expect(new Set(results.map(String))).toEqual(new Set(['b:a']));
  });

  it('keeps different wants and haves apart, whatever the order of the haves', async () => {
    const repo = countingRepo();
    const bundle = sharedBundles(repo);
    await Promise.all([
      bundle('b', ['a']),
      bundle('b', []),
      bundle('c', ['a']),
      bundle('b', ['x', 'a']),
      bundle('b', ['a', 'x']),
    ]);
    expect(repo.calls.sort()).toEqual(['b<-', 'b<-a', 'b<-x,a', 'c<-a']);
  });

  it('does not keep a failure: the next node tries again', async () => {
    const repo = countingRepo(true);
    const bundle = sharedBundles(repo);
    await expect(bundle('b', ['a'])).rejects.toThrow('git bundle failed');
    await expect(bundle('b', ['a'])).rejects.toThrow('git bundle failed');
    expect(repo.calls).toHaveLength(2);
  });
});
