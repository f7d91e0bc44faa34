import { describe, expect, it } from 'vitest';
import {
  compressHosts,
  expandHost,
  expandHosts,
  naturalCompare,
} from '../../../src/engine/delta/hostlist.js';
import { random } from './support.js';

const range = (prefix: string, from: number, to: number, suffix = '', width = 0) =>
  Array.from(
    { length: to - from + 1 },
    (_, i) => `${prefix}${String(from + i).padStart(width, '0')}${suffix}`,
  );

describe('compressHosts', () => {
  const cases: [string, string[], string[]][] = [
    ['nothing', [], []],
    ['one name', ['db1'], ['db1']],
    ['a padded run', range('web', 1, 12, '.dc1', 2), ['web{01..12}.dc1']],
    ['a gap', ['web01.dc1', 'web02.dc1', 'web03.dc1', 'web05.dc1'], ['web{01..03,05}.dc1']],
    ['two in a row stay a list', ['web01', 'web02'], ['web{01,02}']],
    ['unpadded across a width change', range('node', 8, 11), ['node{8..11}']],
    ['padded across a width change', ['app08', 'app09', 'app10'], ['app{08..10}']],
    ['one number written two ways is two names, both kept', ['web9', 'web09', 'web10'], ['web{9,09,10}']],
    [
      'several families, plain names, natural order',
      ['db2', 'web02.dc2', 'lb', 'web01.dc1', 'web02.dc1', 'web01.dc2', 'db1', 'db3'],
      ['db{1..3}', 'lb', 'web{01,02}.dc1', 'web{01,02}.dc2'],
    ],
    ['the varying field may be the data centre', ['web01.dc1', 'web01.dc2', 'web01.dc3'], ['web01.dc{1..3}']],
    ['duplicates count once', ['web1', 'web1', 'web2', 'web3'], ['web{1..3}']],
    ['zero', ['n0', 'n1', 'n2'], ['n{0..2}']],
    ['names without digits', ['puppet', 'bastion'], ['bastion', 'puppet']],
  ];
  it.each(cases)('%s', (_, names, expected) => {
    expect(compressHosts(names)).toEqual(expected);
    expect(expandHosts(expected).sort()).toEqual([...new Set(names)].sort());
  });

  it('does not depend on the order names come in', () => {
    const names = [...range('web', 1, 20, '.dc1', 2), ...range('web', 1, 20, '.dc2', 2), 'db1', 'db2'];
    const rng = random(3);
    const shuffled = [...names].sort(() => rng.next() - 0.5);
    expect(compressHosts(shuffled)).toEqual(compressHosts(names));
  });

  it('property: expanding gives back exactly the names, over random sets', () => {
    const rng = random(42);
    const families = ['web', 'db', 'node', 'app-', 'cache.'];
    const suffixes = ['', '.dc1', '.dc2', '.example.com', '-a'];
    for (let round = 0; round < 300; round++) {
      const names = new Set<string>();
      const count = 1 + rng.int(60);
      for (let i = 0; i < count; i++) {
        const width = rng.pick([0, 2, 3]);
        const number = rng.int(rng.pick([10, 120, 1200]));
        const plain = rng.next() < 0.05;
        names.add(
          plain
            ? rng.pick(['lb', 'bastion', 'puppet'])
            : `${rng.pick(families)}${String(number).padStart(width, '0')}${rng.pick(suffixes)}`,
        );
      }
      const compressed = compressHosts([...names]);
      const expanded = expandHosts(compressed);
      expect(expanded.length).toBe(names.size);
      expect(new Set(expanded)).toEqual(names);
      expect(compressed.length).toBeLessThanOrEqual(names.size);
    }
  });

  it('compresses 2,000 nodes into a line', () => {
    const names = [...range('web', 1, 1500, '.dc1', 4), ...range('db', 1, 500, '.dc2', 3)];
    expect(compressHosts(names)).toEqual(['db{001..500}.dc2', 'web{0001..1500}.dc1']);
  });
});

describe('expandHost', () => {
  const cases: [string, string[]][] = [
    ['db1', ['db1']],
    ['web{01..03}', ['web01', 'web02', 'web03']],
    ['web{8..10}.x', ['web8.x', 'web9.x', 'web10.x']],
    ['web{08..10}', ['web08', 'web09', 'web10']],
    ['web{1,3,05}', ['web1', 'web3', 'web05']],
  ];
  it.each(cases)('%s', (entry, names) => expect(expandHost(entry)).toEqual(names));
});

describe('naturalCompare', () => {
  it('orders numbers by value, then by padding, then text', () => {
    const names = ['web10', 'web2', 'web02', 'db1', 'web1', 'web1a', 'web'];
    expect([...names].sort(naturalCompare)).toEqual([
      'db1',
      'web',
      'web1',
      'web1a',
      'web2',
      'web02',
      'web10',
    ]);
  });

  it('handles numbers beyond double precision', () => {
    expect(naturalCompare('n99999999999999999999', 'n100000000000000000000')).toBeLessThan(0);
  });
});
