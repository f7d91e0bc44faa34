import { approveRange } from './approve-range.js';
import { decisionBasics, pinnedRevisionArg, reviewsOf, splitPinned } from './review-args.js';
import type { CommandSpec } from './types.js';

export const approve: CommandSpec = {
  name: 'approve',
  summary: 'Approve what a commit changes on the fleet (its owners, approvers or admins)',
  description:
    'The approval is bound to the delta on show, and the answer names its hash; `approve SHA@HASH` approves only if that is still the delta (the Approve button always pins it). If a later noop finds a different delta, the approval no longer counts. Authors, co-authors and the committer cannot approve their own commit. A typed approval overturns a denial. An admin may approve a reviewed range at once: `approve A..B` (every commit B brings over A, each by the same rules, each in the audit log).',
  args: [pinnedRevisionArg],
  flags: [],
  // Ownership decides (CODEOWNERS at the parent); the rules say who may, so anyone may ask.
  role: 'anyone',
  sideEffects: true,
  examples: ['approve 3f9c2e1', 'approve v2.1', 'approve 3f9c2e1@9a8b7c6d5e4f', 'approve v2.1..main'],
  async run(ctx, call) {
    const range = /^(.+?)\.\.(.+)$/.exec(call.args.REV ?? '');
    if (range) return approveRange(ctx, range[1] as string, range[2] as string);
    const reviews = reviewsOf(ctx.services);
    const { revision, shownHash } = splitPinned(call.args.REV ?? '');
    const sha = await reviews.resolve(revision);
    const { record, result } = await reviews.decide({
      sha,
      verdict: 'approve',
      ...decisionBasics(ctx, shownHash),
    });
    const what = `${record.shortSha} (delta ${record.deltaHash.slice(0, 8)})`;
    const text = result === 'repeated' ? `you already approved ${what}` : `approved ${what}`;
    await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
  },
};
