import type { Deciders } from '../../engine/delta/index.js';
import {
  coveredNodes,
  decidersOf,
  type ReviewRecord,
  reviewStatus,
  standing,
} from '../../engine/review/records.js';
import { escapeText as esc, mention, mentionAll } from '../../engine/text/mrkdwn.js';

/** The roles that decide beside owners (config `roles`). */
export interface ReviewRoles {
  admins: readonly string[];
  approvers: readonly string[];
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const plural = (n: number, word: string) => `${n} node${n === 1 ? '' : 's'} ${word}`;

/** "3 nodes would change · 47 unchanged · …": the counts reviewers scan first. */
export const countsLine = (record: ReviewRecord): string => {
  const c = record.grouped.counts;
  const parts = [plural(c.changed, 'would change'), `${c.unchanged} unchanged`];
  if (c.evalError > 0) parts.push(`${c.evalError} do not compile`);
  parts.push(`${c.failed} failed`, `${c.unreachable} unreachable`);
  if (c.notInLineage > 0) parts.push(`${c.notInLineage} not in lineage`);
  return parts.join(' · ');
};

/**
 * Who would complete the approval, naming only people who can: owners of every part, then
 * approvers and admins; never an author, committer or an owner of only part of the change.
 */
export const waitingFor = (all: Deciders): string => {
  const roles = [
    all.approvers.length > 0 ? `an approver (${mentionAll(all.approvers)})` : '',
    all.admins.length > 0 ? `an admin (${mentionAll(all.admins)})` : '',
  ].filter(Boolean);
  const others = roles.join(' or ');
  if (all.owners.length > 0) return `${mentionAll(all.owners)}${others ? `, or ${others}` : ''}`;
  if (others) return `${others}: no single owner covers every part of it`;
  return 'nobody who may: no owner covers every part, and heckler.yml lists no approvers or admins';
};

/** What the approval covers: "covers 40 of 42 nodes", or why it cannot be given at all. */
export const coverageLine = (record: ReviewRecord): string => {
  const { covered, of } = coveredNodes(record);
  if (of === 0) return '';
  if (covered === 0)
    return `:warning: *No node produced a noop*: there is nothing to approve. Fix what failed below, then run \`/heckler noop ${esc(record.shortSha)}\` again.`;
  if (covered === of) return `An approval covers all ${of} nodes nooped.`;
  return `:warning: An approval covers ${covered} of ${of} nodes: the ${of - covered} whose noop failed or did not answer stay blocked for applies until a noop there succeeds.`;
};

export const statusLine = (record: ReviewRecord, roles: ReviewRoles): string => {
  const decision = standing(record);
  switch (reviewStatus(record)) {
    case 'approved':
      return `:white_check_mark: Approved by ${mention(decision?.user ?? '?')} at ${hhmm(decision?.at ?? 0)}`;
    case 'denied':
      return `:no_entry: Denied by ${mention(decision?.user ?? '?')} at ${hhmm(decision?.at ?? 0)}: ${esc(decision?.reason ?? 'no reason given')}`;
    case 'auto_approved':
      return ':white_check_mark: Auto-approved: this commit changes nothing on the fleet';
    case 'pending':
      if (coveredNodes(record).covered === 0)
        return ':hourglass: Not approvable yet: no node produced a noop';
      return `:hourglass: Waiting for approval from ${waitingFor(decidersOf(record, roles))}`;
  }
};
