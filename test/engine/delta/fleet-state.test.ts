import { describe, expect, it } from 'vitest';
import { fleetStateHash, type NodeState, noopCacheKey } from '../../../src/engine/delta/fleet-state.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const fleet: NodeState[] = [
  { name: 'node1', revision: A, dirty: false },
  { name: 'node2', revision: A, dirty: false },
  { name: 'node3', dirty: false },
];
const hash = fleetStateHash(fleet);

describe('fleetStateHash', () => {
  const same: [string, NodeState[]][] = [
    ['the same fleet', fleet.map((node) => ({ ...node }))],
    ['listed in another order', [...fleet].reverse()],
  ];
  it.each(same)('unchanged: %s', (_, nodes) => expect(fleetStateHash(nodes)).toBe(hash));

  const different: [string, NodeState[]][] = [
    [
      'a node applied another revision (an apply outside the bot)',
      [{ ...fleet[0]!, revision: B }, fleet[1]!, fleet[2]!],
    ],
    ['a failed apply left a node dirty', [{ ...fleet[0]!, dirty: true }, fleet[1]!, fleet[2]!]],
    ['a first apply', [fleet[0]!, fleet[1]!, { ...fleet[2]!, revision: A }]],
    ['a node left', fleet.slice(0, 2)],
    ['a node joined', [...fleet, { name: 'node4', dirty: false }]],
  ];
  it.each(different)('changed: %s', (_, nodes) => expect(fleetStateHash(nodes)).not.toBe(hash));

  it('tells which node is at which revision', () => {
    const one = fleetStateHash([
      { name: 'node1', revision: A, dirty: false },
      { name: 'node2', revision: B, dirty: false },
    ]);
    const swapped = fleetStateHash([
      { name: 'node1', revision: B, dirty: false },
      { name: 'node2', revision: A, dirty: false },
    ]);
    expect(swapped).not.toBe(one);
  });

  it('is sha256 hex', () => expect(hash).toMatch(/^[0-9a-f]{64}$/));
});

describe('noopCacheKey', () => {
  const cases: [Parameters<typeof noopCacheKey>[0], string][] = [
    [{ node: 'node1', commit: B, appliedRevision: A }, `noop/node1/${B}/${A}`],
    [{ node: 'node1', commit: B, appliedRevision: A, dirty: true }, `noop/node1/${B}/${A}+dirty`],
    [{ node: 'node1', commit: B, appliedRevision: undefined }, `noop/node1/${B}/none`],
  ];
  it.each(cases)('%j → %s', (key, expected) => expect(noopCacheKey(key)).toBe(expected));
});
