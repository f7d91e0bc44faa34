import { HecklerError } from '../engine/errors.js';
import { fleetOf, nodesFlag, revisionArg, selectorOf, setFlag } from './fleet-args.js';
import type { CommandSpec } from './types.js';
import { revisionRunMessage } from './views/noop-full.js';

export const noop: CommandSpec = {
  name: 'noop',
  summary: 'Dry-run a revision on nodes and show what Puppet would change',
  description:
    '`--full` shows everything Puppet would change at REV on each node (standing drift included), grouped by node. ' +
    'The results are posted to the channel.',
  args: [revisionArg],
  flags: [
    nodesFlag,
    setFlag,
    { name: 'full', description: 'a plain noop of REV, not the delta against its parents' },
  ],
  role: 'anyone',
  sideEffects: false,
  examples: ['noop v2.1 --full', 'noop main --nodes web1,web2 --full', 'noop 3f9c2e1 --set canaries --full'],
  async run(ctx, call) {
    const fleet = fleetOf(ctx.services);
    if (!call.flags.full) {
      throw new HecklerError('USAGE', 'the delta noop (only what REV itself changes) is not available yet', {
        hint: `add --full for a plain noop of ${call.args.REV} on the nodes`,
      });
    }
    const targets = await fleet.select(selectorOf(call));
    const revision = call.args.REV ?? '';
    await ctx.respond({
      text: `nooping ${revision} on ${targets.length} nodes; the result will be posted in this channel`,
      blocks: [
        {
          kind: 'context',
          text: `nooping ${revision} on ${targets.length} nodes; the result will be posted in this channel`,
        },
      ],
    });
    const result = await fleet.run(revision, targets, 'noop', ctx.user);
    await ctx.services.chat.post(ctx.channel, revisionRunMessage(result, ctx.user));
  },
};
