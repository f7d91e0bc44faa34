import { describe, expect, it } from 'vitest';
import { hostListsOf } from '../../../src/commands/views/permadiffs.js';
import { compressHosts } from '../../../src/engine/delta/hostlist.js';

/** One digest folds each distinct node list once, for its message, its file and its owners' messages. */
describe('host lists of one digest', () => {
  const fleet = (count: number) => Array.from({ length: count }, (_, i) => `web${i + 1}`);

  it.each([
    { nodes: [] as string[] },
    { nodes: ['web7'] },
    { nodes: fleet(12) },
    { nodes: ['db1', 'web1', 'web2', 'web4'] },
  ])('folds $nodes as compressHosts does', ({ nodes }) => {
    expect(hostListsOf({})(nodes)).toEqual(compressHosts(nodes));
  });

  it('folds equal lists once within a digest, and anew for the next digest', () => {
    const digest = {};
    const fold = hostListsOf(digest);
    const first = fold(fleet(2000));
    expect(fold(fleet(2000))).toBe(first);
    expect(hostListsOf(digest)).toBe(fold);
    expect(fold(fleet(1999))).not.toBe(first);
    expect(hostListsOf({})(fleet(2000))).not.toBe(first);
  });

  it('tells lists apart that would read alike joined with a space or comma', () => {
    const fold = hostListsOf({});
    expect(fold(['a b', 'c'])).toEqual(['a b', 'c']);
    expect(fold(['a', 'b c'])).toEqual(['a', 'b c']);
  });
});
