import { HecklerError, isHecklerError } from '../engine/errors.js';
import { type ReviewRecord, reviewStatus } from '../engine/review/records.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { decisionBasics, reviewsOf } from './review-args.js';
import type { CommandContext } from './types.js';

/** Past this many commits a range approval is refused: the person should look at smaller ranges. */
export const MAX_RANGE = 1_000;
const LISTED = 10;

/**
 * `approve A..B`: every commit B brings over A, each reviewed already, each approved by the same
 * rules as one at a time (and each in the audit log). For an admin draining a large push: the
 * range must be fully reviewed first, so nothing in it is approved unseen.
 */
export const approveRange = async (ctx: CommandContext, from: string, to: string): Promise<void> => {
  if (!ctx.roles.has('admin'))
    throw new HecklerError('NOT_AUTHORIZED', 'approving a range of commits needs the admin role', {
      hint: 'approve the commits one at a time, or ask an admin',
    });
  const reviews = reviewsOf(ctx.services);
  const [start, end] = [await reviews.resolve(from), await reviews.resolve(to)];
  const shas = await reviews.commitsIn(start, end);
  const range = `${escapeText(from)}..${escapeText(to)}`;
  if (shas.length === 0)
    throw new HecklerError('USAGE', `${range} holds no commits`, {
      hint: 'A..B is every commit B has that A has not',
    });
  if (shas.length > MAX_RANGE)
    throw new HecklerError('USAGE', `${range} holds ${shas.length} commits, more than ${MAX_RANGE} at once`, {
      hint: 'approve it in smaller ranges',
    });
  const records = await Promise.all(shas.map((sha) => reviews.get(sha)));
  const unreviewed = shas.filter((_, index) => records[index] === undefined);
  if (unreviewed.length > 0)
    throw new HecklerError(
      'USAGE',
      `${unreviewed.length} of the ${shas.length} commits in ${range} are not reviewed yet (${unreviewed
        .slice(0, LISTED)
        .map((sha) => sha.slice(0, 7))
        .join(', ')}${unreviewed.length > LISTED ? ', …' : ''}): nothing was approved`,
      {
        hint: 'wait for the review queue (the push summary shows its progress), or `/heckler noop SHA` them',
      },
    );
  const approved: string[] = [];
  const skipped: string[] = [];
  let already = 0;
  for (const [index, sha] of shas.entries()) {
    const status = reviewStatus(records[index] as ReviewRecord);
    if (status === 'approved' || status === 'auto_approved') {
      already++;
      continue;
    }
    try {
      const { result } = await reviews.decide({ sha, verdict: 'approve', ...decisionBasics(ctx, undefined) });
      if (result === 'recorded') approved.push(sha);
    } catch (error) {
      if (!isHecklerError(error)) throw error;
      skipped.push(`• \`${sha.slice(0, 7)}\` ${error.message}`);
    }
  }
  const text = [
    `approved ${approved.length} of the ${shas.length} commits in ${range}${already > 0 ? ` (${already} were approved already)` : ''}${skipped.length > 0 ? `; ${skipped.length} not:` : ''}`,
    ...skipped.slice(0, LISTED * 3),
    ...(skipped.length > LISTED * 3
      ? [`…and ${skipped.length - LISTED * 3} more (\`/heckler pending\`)`]
      : []),
  ].join('\n');
  await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
};
