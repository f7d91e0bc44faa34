import { appliesOf } from './apply.js';
import { fleetOf, resolveNodesArg } from './fleet-args.js';
import type { CommandSpec } from './types.js';
import { statusMessage } from './views/status.js';

export const status: CommandSpec = {
  name: 'status',
  summary: 'What each node runs: applied revision, when, clean or dirty, lock, last noop',
  description:
    'Read from the nodes themselves. A summary line on top ("3 nodes: 2 on v2, 1 on v1; 1 dirty; 1 locked"), then ' +
    'per node the applied revision with its tag and branch names, when and by whom, clean or dirty, the lock holder ' +
    'and reason, and how long ago it was last nooped.',
  args: [
    {
      name: 'NODES',
      description: 'comma-separated node or set names (default: every node)',
      pattern: /^[a-z0-9][a-z0-9.,-]{0,2000}$/,
      patternHint: 'node or set names separated by commas, such as web1,web2 or canaries',
    },
  ],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  expensive: true,
  examples: ['status', 'status web1,canaries'],
  async run(ctx, call) {
    const fleet = fleetOf(ctx.services);
    const names = call.args.NODES ? await resolveNodesArg(fleet, call.args.NODES) : undefined;
    const nodes = names ? fleet.nodes().filter((node) => names.includes(node.name)) : fleet.nodes();
    const result = await appliesOf(ctx.services).status(nodes);
    await ctx.respond(statusMessage(result, ctx.services.clock));
  },
};
