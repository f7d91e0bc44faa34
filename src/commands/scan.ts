import { standing } from '../engine/permadiffs/state.js';
import { fleetOf, resolveNodesArg } from './fleet-args.js';
import { permadiffsOf } from './permadiffs.js';
import type { CommandSpec } from './types.js';
import { scanDoneMessage } from './views/permadiffs.js';

export const scan: CommandSpec = {
  name: 'scan',
  summary: 'Run the permadiff scan now (admins): noop nodes at their applied revisions',
  description:
    'Noops every node (or NODES) at the revision it has applied, as the scheduled scan does, and answers when done. ' +
    'Noops already made for the same (node, revision) come from the cache, so a fleet that has not moved costs nothing. ' +
    'A scan that is already running is not started twice.',
  args: [
    {
      name: 'NODES',
      description: 'comma-separated node or set names; all nodes when absent',
      pattern: /^[a-z0-9][a-z0-9.,-]{0,2000}$/,
      patternHint: 'node or set names separated by commas, such as web1,web2 or canaries',
    },
  ],
  flags: [],
  role: 'admin',
  // It changes stored state (streaks) and makes nodes work; admins only, so no per-user allowance.
  sideEffects: true,
  examples: ['scan', 'scan web1,web2', 'scan canaries'],
  async run(ctx, call) {
    const fleet = fleetOf(ctx.services);
    const service = permadiffsOf(ctx.services);
    const wanted =
      call.args.NODES === undefined ? undefined : new Set(await resolveNodesArg(fleet, call.args.NODES));
    const nodes = fleet.nodes().filter((node) => wanted === undefined || wanted.has(node.name));
    const started = `scanning ${nodes.length} node${nodes.length === 1 ? '' : 's'} for permadiffs; I will answer when it is done`;
    await ctx.respond({ text: started, blocks: [{ kind: 'context', text: started }] });
    const summary = await service.scan({ nodes, by: ctx.user });
    const state = await service.current();
    await ctx.respond(scanDoneMessage(summary, standing(state.groups, state.minRuns).length));
  },
};
