import { describe, expect, it } from 'vitest';
import { groupDeltas, type IgnoreRule } from '../../../src/engine/delta/group.js';
import type { NodeDelta } from '../../../src/engine/delta/subtract.js';
import { cache, cacheRule, delta, real } from './support.js';

describe('deltaHash: what an approval is bound to', () => {
  const basis = [delta('n1', [real.motd(), real.appConf(), real.reload()]), delta('n2', [real.appConf()])];
  const n2 = basis[1]!;
  const hashOf = (deltas: NodeDelta[], ignored: IgnoreRule[] = []) =>
    groupDeltas(deltas, { ignored }).deltaHash;
  const h = hashOf(basis);

  const same: [string, string][] = [
    ['the deltas in another order', hashOf([...basis].reverse())],
    [
      'a node unreachable this time',
      hashOf([...basis, delta('n3', [], { kind: 'unreachable', error: 'x' })]),
    ],
    ['an unchanged node more', hashOf([...basis, delta('n3', [])])],
    [
      'an ignored change more',
      hashOf([delta('n1', [real.motd(), real.appConf(), real.reload(), cache]), n2], [cacheRule]),
    ],
    [
      'the exec declared two lines higher',
      hashOf([delta('n1', [real.motd(), real.appConf(), real.reloadMoved()]), n2]),
    ],
  ];
  it.each(same)('unchanged by %s', (_, other) => expect(other).toBe(h));

  const different: [string, string][] = [
    ['the change on one more node', hashOf([...basis, delta('n3', [real.appConf()])])],
    ['a change less', hashOf([delta('n1', [real.appConf(), real.reload()]), n2])],
    ['another diff', hashOf([delta('n1', [real.motdNode1(), real.appConf(), real.reload()]), n2])],
    [
      'an evaluation error more',
      hashOf([...basis, delta('n3', [], { kind: 'eval_error', evalErrors: [{ message: 'x' }] })]),
    ],
    [
      'the ignored change, when it is not ignored',
      hashOf([delta('n1', [real.motd(), real.appConf(), real.reload(), cache]), n2]),
    ],
  ];
  it.each(different)('changed by %s', (_, other) => expect(other).not.toBe(h));

  it('is sha256 hex', () => expect(h).toMatch(/^[0-9a-f]{64}$/));
});
