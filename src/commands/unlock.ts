import { escapeText, mention } from '../engine/text/mrkdwn.js';
import { fleetOf, nodesArg, resolveNodesArg } from './fleet-args.js';
import type { CommandSpec } from './types.js';

export const unlock: CommandSpec = {
  name: 'unlock',
  summary: 'Release your locks on nodes (admins: anyone’s, with --force)',
  args: [nodesArg],
  flags: [
    { name: 'force', description: 'release locks held by someone else (or by an apply)', role: 'admin' },
  ],
  role: 'applier',
  sideEffects: true,
  examples: ['unlock web1,web2', 'unlock canaries --force'],
  async run(ctx, call) {
    const fleet = fleetOf(ctx.services);
    const nodes = await resolveNodesArg(fleet, call.args.NODES ?? '');
    const { released, notLocked } = await ctx.services.nodeLocks.unlock(
      nodes,
      ctx.user,
      call.flags.force === true,
    );
    if (released.length > 0) {
      const text = `:unlock: ${mention(ctx.user)} unlocked ${escapeText(released.join(', '))}${call.flags.force ? ' (forced)' : ''}`;
      await ctx.services.chat.post(ctx.channel, { text, blocks: [{ kind: 'section', text }] });
    }
    if (notLocked.length > 0) {
      const text = `not locked: ${escapeText(notLocked.join(', '))}`;
      await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
    }
  },
};
