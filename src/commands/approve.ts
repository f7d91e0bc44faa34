import { revisionArg } from './fleet-args.js';
import { reviewsOf } from './review-args.js';
import type { CommandSpec } from './types.js';

export const approve: CommandSpec = {
  name: 'approve',
  summary: 'Approve what a commit changes on the fleet (its owners, approvers or admins)',
  description:
    'The approval is bound to the delta on show: if a later noop finds a different delta, it no longer counts. Authors and co-authors cannot approve their own commit. A typed approval overturns a denial.',
  args: [revisionArg],
  flags: [],
  // Ownership decides (CODEOWNERS at the commit); the rules say who may, so anyone may ask.
  role: 'anyone',
  sideEffects: true,
  examples: ['approve 3f9c2e1', 'approve v2.1'],
  async run(ctx, call) {
    const reviews = reviewsOf(ctx.services);
    const sha = await reviews.resolve(call.args.REV ?? '');
    const via = ctx.source ? 'button' : 'command';
    const { record, result } = await reviews.decide({
      sha,
      user: ctx.user,
      roles: ctx.roles,
      verdict: 'approve',
      via,
    });
    const text =
      result === 'repeated' ? `you already approved ${record.shortSha}` : `approved ${record.shortSha}`;
    await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
  },
};
