import { createRegistry } from '../../src/commands/index.js';
import type { CommandSpec } from '../../src/commands/types.js';

const noop = async () => {};

/** Commands with a richer grammar than the shipped ones, to exercise every parser path. */
export const applyLike: CommandSpec = {
  name: 'deploy',
  summary: 'test command',
  args: [
    {
      name: 'REV',
      description: 'a revision',
      required: true,
      pattern: /^[\w.-]{1,40}$/,
      patternHint: 'a tag, branch or SHA',
    },
  ],
  flags: [
    {
      name: 'nodes',
      value: 'LIST',
      description: 'nodes',
      pattern: /^[\w.,-]+$/,
      patternHint: 'comma-separated node names',
    },
    { name: 'force', description: 'force', role: 'admin' },
  ],
  role: 'applier',
  sideEffects: true,
  examples: ['deploy v1'],
  run: noop,
};

export const lockLike: CommandSpec = {
  name: 'hold',
  summary: 'test command with a rest argument',
  args: [
    { name: 'NODES', description: 'nodes', required: true },
    { name: 'REASON', description: 'why', required: true, rest: true },
  ],
  flags: [
    {
      name: 'for',
      value: 'DURATION',
      description: 'how long',
      pattern: /^\d+[mhd]$/,
      patternHint: 'a duration such as 30m or 2h',
    },
  ],
  role: 'anyone',
  sideEffects: true,
  examples: ['hold web1 maintenance'],
  run: noop,
};

export const grammarRegistry = () => {
  const shipped = createRegistry().all();
  return createRegistry([...shipped, applyLike, lockLike]);
};
