import { describe, expect, it } from 'vitest';
import { compressHosts, expandHosts } from '../../../src/engine/delta/hostlist.js';

/**
 * Host lists whose names all differ in one number between the same prefix and suffix (most fleets)
 * take a shorter path than the general family search: the same text as the search gives.
 */
describe('compressHosts of one family', () => {
  it.each([
    { names: ['web1', 'web2', 'web3', 'web5'], text: ['web{1..3,5}'] },
    { names: ['web0001', 'web0002', 'web0003', 'web0010'], text: ['web{0001..0003,0010}'] },
    { names: ['db9.dc', 'db10.dc', 'db11.dc'], text: ['db{9..11}.dc'] },
    { names: ['1x', '2x'], text: ['{1,2}x'] },
    { names: ['7', '8', '9'], text: ['{7..9}'] },
    { names: ['n1', 'n01', 'n2'], text: ['n{1,01,2}'] },
    { names: ['web08', 'web09', 'web10', 'web11'], text: ['web{08..11}'] },
    // Not one family: the general search decides.
    { names: ['web1.dc1', 'web2.dc1', 'web1.dc2'], text: ['web{1,2}.dc1', 'web1.dc2'] },
    { names: ['web1', 'web2', 'db1'], text: ['db1', 'web{1,2}'] },
    { names: ['web', 'web1'], text: ['web', 'web1'] },
  ])('$names', ({ names, text }) => {
    expect(compressHosts(names)).toEqual(text);
    expect(expandHosts(compressHosts(names)).sort()).toEqual([...new Set(names)].sort());
  });

  it('folds a fleet of 2,000 numbered hosts into one entry, unsorted input too', () => {
    const names = Array.from({ length: 2000 }, (_, i) => `web${String(i + 1).padStart(4, '0')}`);
    expect(compressHosts(names)).toEqual(['web{0001..2000}']);
    expect(compressHosts([...names].reverse())).toEqual(['web{0001..2000}']);
  });
});
