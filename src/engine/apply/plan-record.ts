import { HecklerError } from '../errors.js';
import { describeHolder, type NodeLock } from '../locks/node-locks.js';
import type { Clock, CommitInfo } from '../ports/index.js';
import { escapeText } from '../text/mrkdwn.js';
import { type ApplyPlan, revisionText } from './plan.js';
import type { GatheredPlan } from './planner.js';
import type { PlannedCommit } from './records.js';

/** REV would take commits away from these nodes: refused, saying what each would lose. */
export const rollbackRefusal = (
  revision: string,
  plan: ApplyPlan,
  names: GatheredPlan['names'],
): HecklerError => {
  const lines = plan.rollbacks.map((rollback) => {
    const lost = rollback.takesAway;
    const shown = lost.slice(-3).map((sha) => sha.slice(0, 7));
    return `${escapeText(rollback.node)} runs ${escapeText(revisionText(rollback.from, names.get(rollback.from)))}: ${escapeText(revision)} would take away ${lost.length} commit${lost.length === 1 ? '' : 's'} it has (${shown.join(', ')}${lost.length > 3 ? ', …' : ''})`;
  });
  const who = plan.rollbacks.length === 1 ? 'this node runs' : 'these nodes run';
  return new HecklerError(
    'ROLLBACK_REFUSED',
    `${escapeText(revision)} does not descend from what ${who}: applying it would roll changes back.\n${lines.join('\n')}`,
    {
      hint: 'apply a revision that contains those commits, leave the nodes out with --nodes, or (admins) pass --force to roll back',
    },
  );
};

/** Worth knowing before confirming: nodes locked right now, nodes a --force rolls back (mrkdwn). */
export const planWarnings = (plan: ApplyPlan, locks: readonly NodeLock[], clock: Clock): string[] => {
  const held = new Map(locks.map((lock) => [lock.node, lock]));
  const warnings = plan.nodes.flatMap((node) => {
    const lock = held.get(node.node);
    return lock
      ? [
          `${escapeText(node.node)} is ${describeHolder(lock, clock)}: it will be skipped unless it is unlocked before you confirm`,
        ]
      : [];
  });
  const rollbacks = plan.nodes.filter((node) => node.rollsBack !== undefined);
  if (rollbacks.length > 0)
    warnings.push(
      `--force: ${escapeText(rollbacks.map((node) => node.node).join(', '))} will be rolled back`,
    );
  return warnings;
};

/** The commits of a plan as its message lists them, with who approved each. */
export const plannedCommits = (gathered: GatheredPlan): PlannedCommit[] =>
  gathered.plan.commits.map((sha) => {
    const info: CommitInfo | undefined = gathered.commits.get(sha);
    const review = gathered.reviews.get(sha);
    const approved = review && (review.status === 'approved' || review.status === 'auto_approved');
    return {
      sha,
      shortSha: info?.shortSha ?? sha.slice(0, 7),
      subject: info?.subject ?? '',
      author: info?.author.name ?? '',
      ...(approved
        ? { approvedBy: review.status === 'auto_approved' ? 'auto' : (review.decidedBy ?? '') }
        : {}),
    };
  });
