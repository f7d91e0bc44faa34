import { HecklerError } from '../engine/errors.js';
import { decisionBasics, pinnedRevisionArg, reviewsOf, splitPinned } from './review-args.js';
import type { CommandSpec } from './types.js';

export const deny: CommandSpec = {
  name: 'deny',
  summary: 'Deny a commit: applies that include it are blocked until someone approves it',
  description:
    'Bound to the delta on show like an approval; `deny SHA@HASH REASON` denies only if that is still the delta.',
  args: [pinnedRevisionArg, { name: 'REASON', description: 'what the author should fix', rest: true }],
  flags: [],
  role: 'anyone',
  sideEffects: true,
  examples: ['deny 3f9c2e1 restarts nginx on every node at once'],
  /** The Deny modal closes only on a revision that resolves and a reason that is not blank. */
  async check(ctx, call) {
    await reviewsOf(ctx.services).resolve(splitPinned(call.args.REV ?? '').revision);
    if (!call.args.REASON?.trim())
      throw new HecklerError('USAGE', 'a denial needs a reason', {
        hint: 'say what the author should fix: they read it',
      });
  },
  async run(ctx, call) {
    const reviews = reviewsOf(ctx.services);
    const { revision, shownHash } = splitPinned(call.args.REV ?? '');
    const sha = await reviews.resolve(revision);
    const reason = call.args.REASON;
    if (!reason) {
      // The Deny button asks for the reason itself; a typed deny without one says what to type.
      const pinned = `${sha.slice(0, 7)}${shownHash ? `@${shownHash}` : ''}`;
      const text = `To deny ${sha.slice(0, 7)}, type \`/heckler deny ${pinned} REASON\` (or press Deny on its review, which asks for the reason): the reason tells the author what to fix.`;
      await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
      return;
    }
    const { record, result } = await reviews.decide({
      sha,
      verdict: 'deny',
      reason,
      ...decisionBasics(ctx, shownHash),
    });
    const what = `${record.shortSha} (delta ${record.deltaHash.slice(0, 8)})`;
    const text = result === 'repeated' ? `you already denied ${what}` : `denied ${what}`;
    await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
  },
};
