import { revisionArg } from './fleet-args.js';
import { reviewsOf } from './review-args.js';
import type { CommandSpec } from './types.js';

export const deny: CommandSpec = {
  name: 'deny',
  summary: 'Deny a commit: applies that include it are blocked until someone approves it',
  args: [revisionArg, { name: 'REASON', description: 'what the author should fix', rest: true }],
  flags: [],
  role: 'anyone',
  sideEffects: true,
  examples: ['deny 3f9c2e1 restarts nginx on every node at once'],
  async run(ctx, call) {
    const reviews = reviewsOf(ctx.services);
    const sha = await reviews.resolve(call.args.REV ?? '');
    const reason = call.args.REASON;
    if (!reason) {
      // A button cannot ask for text; say exactly what to type instead.
      const text = `To deny ${sha.slice(0, 7)}, type \`/heckler deny ${sha.slice(0, 7)} REASON\`: the reason tells the author what to fix.`;
      await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
      return;
    }
    const via = ctx.source ? 'button' : 'command';
    const { record, result } = await reviews.decide({
      sha,
      user: ctx.user,
      roles: ctx.roles,
      verdict: 'deny',
      reason,
      via,
    });
    const text =
      result === 'repeated' ? `you already denied ${record.shortSha}` : `denied ${record.shortSha}`;
    await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
  },
};
