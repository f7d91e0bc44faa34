import { describe, expect, it } from 'vitest';
import { isHecklerError } from '../../../src/engine/errors.js';
import { applyStages } from '../../../src/engine/fleet/apply-order.js';
import { nodeSpecs, resolveSelector } from '../../../src/engine/fleet/inventory.js';
import { fleet, runCommand } from './fleet-config.js';

describe('applyStages', () => {
  const stageNames = async (order: string[], targets?: string[]) => {
    const ctx = { fleet: { ...fleet, applyOrder: order }, runCommand };
    const selected = targets ? await resolveSelector({ nodes: targets }, ctx) : nodeSpecs(fleet);
    const stages = await applyStages(selected, ctx);
    return stages.map((stage) => [stage.name, stage.nodes.map((node) => node.name)]);
  };

  it.each<[string, string[], string[] | undefined, (string | string[])[][]]>([
    [
      'canaries, then all the rest',
      ['canaries', 'all'],
      undefined,
      [
        ['canaries', ['web2', 'db1.dc1']],
        ['all', ['web1', 'web3', 'db2.dc1', 'cache1']],
      ],
    ],
    [
      'a node goes in its first stage only',
      ['web', 'canaries', 'all'],
      undefined,
      [
        ['web', ['web1', 'web2', 'web3']],
        ['canaries', ['db1.dc1']],
        ['all', ['db2.dc1', 'cache1']],
      ],
    ],
    [
      'stages are cut down to the targets; empty ones vanish',
      ['canaries', 'dbs', 'all'],
      ['web1', 'db2.dc1'],
      [
        ['dbs', ['db2.dc1']],
        ['all', ['web1']],
      ],
    ],
    [
      'a command set as a stage',
      ['cmdb', 'all'],
      undefined,
      [
        ['cmdb', ['web3', 'cache1']],
        ['all', ['web1', 'web2', 'db1.dc1', 'db2.dc1']],
      ],
    ],
    [
      'nodes no stage took still get applied, last',
      ['canaries'],
      undefined,
      [
        ['canaries', ['web2', 'db1.dc1']],
        ['all', ['web1', 'web3', 'db2.dc1', 'cache1']],
      ],
    ],
    ['all alone', ['all'], ['web3', 'web1'], [['all', ['web3', 'web1']]]],
    ['an all that finds nothing left is dropped', ['web', 'all', 'dbs'], ['web1'], [['web', ['web1']]]],
  ])('%s', async (_, order, targets, expected) => {
    expect(await stageNames(order, targets)).toEqual(expected);
  });

  it('refuses an unknown set in the order', async () => {
    const error = await stageNames(['canarys', 'all']).catch((caught: unknown) => caught);
    expect(isHecklerError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toMatch(/^unknown set 'canarys' \(did you mean 'canaries'\?\)/);
  });
});
