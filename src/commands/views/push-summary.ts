import type { Message } from '../../engine/ports/index.js';
import type { PushRecord } from '../../engine/review/push-queue.js';

const short = (sha: string) => (sha ? sha.slice(0, 7) : 'the start');

/**
 * One message for a push too large for a message per commit: how far the review queue got, and
 * what people can do meanwhile. Everything here is the bot's own words and hex SHAs.
 */
export const pushSummaryMessage = (push: PushRecord): Message => {
  const done = push.reviewed >= push.total;
  const range = `\`${short(push.from)}..${short(push.head)}\``;
  const head = `:inbox_tray: ${push.total} new commits on the branch (${range})`;
  const progress = done
    ? `:white_check_mark: All ${push.total} reviewed: ${push.autoApproved} change nothing and are approved automatically, ${push.waiting} wait for approval.`
    : `:hourglass: Reviewed ${push.reviewed} of ${push.total} so far (a few per poll, so the fleet stays responsive): ${push.autoApproved} approved automatically, ${push.waiting} wait for approval.`;
  const help =
    'Their reviews are not posted one by one: `/heckler pending` lists those waiting, `/heckler noop SHA` shows one, and an admin may approve a reviewed range at once with `/heckler approve A..B`.';
  return {
    text: `${push.total} new commits (${range}): ${done ? 'all reviewed' : `${push.reviewed} reviewed so far`}`,
    blocks: [
      { kind: 'section', text: `${head}\n${progress}` },
      { kind: 'context', text: help },
    ],
  };
};
