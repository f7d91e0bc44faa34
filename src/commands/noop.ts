import { HecklerError } from '../engine/errors.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { fleetOf, nodesFlag, revisionArg, selectorOf, setFlag } from './fleet-args.js';
import { reviewsOf } from './review-args.js';
import type { CommandSpec } from './types.js';
import { revisionRunMessage } from './views/noop-full.js';
import { countsLine } from './views/review.js';

export const noop: CommandSpec = {
  name: 'noop',
  summary: 'Dry-run a revision on nodes and show what Puppet would change',
  description:
    "Without flags: the delta — what REV itself changes (its noop minus its parents' noops on every node), grouped across nodes, " +
    "posted as the commit's review message with Approve / Deny. `--full` shows everything Puppet would change at REV on the " +
    'given nodes (standing drift included), grouped by node.',
  args: [revisionArg],
  flags: [
    nodesFlag,
    setFlag,
    { name: 'full', description: 'a plain noop of REV, not the delta against its parents' },
  ],
  role: 'anyone',
  sideEffects: false,
  expensive: true,
  examples: [
    'noop 3f9c2e1',
    'noop v2.1 --full',
    'noop main --nodes web1,web2 --full',
    'noop v2.1 --set canaries --full',
  ],
  async run(ctx, call) {
    const fleet = fleetOf(ctx.services);
    if (!call.flags.full) {
      if (call.flags.nodes !== undefined || call.flags.set !== undefined) {
        throw new HecklerError('USAGE', 'a delta noop covers the whole fleet (approvals are bound to it)', {
          hint: `drop --nodes/--set, or add --full for a plain noop of ${escapeText(call.args.REV ?? '')} on those nodes`,
        });
      }
      const reviews = reviewsOf(ctx.services);
      const sha = await reviews.resolve(call.args.REV ?? '', { fetch: true });
      const started = `nooping ${sha.slice(0, 7)} and its parents on the fleet; the result goes to the commit's message`;
      await ctx.respond({ text: started, blocks: [{ kind: 'context', text: started }] });
      const record = await reviews.review(sha);
      const text = `${record.shortSha}: ${countsLine(record)}`;
      await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
      return;
    }
    const targets = await fleet.select(selectorOf(call));
    const revision = call.args.REV ?? '';
    const text = `nooping ${escapeText(revision)} on ${targets.length} nodes; the result will be posted in this channel`;
    await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
    const result = await fleet.run(revision, targets, 'noop', ctx.user);
    await ctx.services.chat.post(ctx.channel, revisionRunMessage(result, ctx.user));
  },
};
