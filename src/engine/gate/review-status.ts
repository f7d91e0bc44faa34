import type { CommitStatus } from '../ports/code-host.js';
import { type ReviewRecord, reviewStatus, standing } from '../review/records.js';

/** The commit status name of reviews, beside the builds' `heckler/build/<pipeline>`. */
export const REVIEW_STATUS_CONTEXT = 'heckler/review';

/** GitHub's limit on a status description. */
const MAX = 140;

/** A chat user as GitHub readers know them: `@name` from heckler.yml `users`, else the id. */
export type NameOf = (chatId: string) => string;

/** `@a, @b and 3 more`, within `room` characters. */
const listWithin = (names: readonly string[], room: number): string => {
  for (let shown = names.length; shown > 0; shown -= 1) {
    const rest = names.length - shown;
    const text = `${names.slice(0, shown).join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
    if (text.length <= room) return text;
  }
  return `${names.length} owners`;
};

/** Who the review waits for: mapped owners by name, CODEOWNERS names nobody mapped as written. */
const waitingFor = (record: ReviewRecord, nameOf: NameOf): string[] => {
  const parts = [
    ...(record.partOwners?.flat() ?? record.groupOwners),
    ...record.evalOwners,
    ...(record.codeownersOwners ? [record.codeownersOwners] : []),
  ];
  const names = parts.flatMap((part) => [...part.owners.map(nameOf), ...part.unmapped]);
  return [...new Set(names)];
};

/**
 * A review as the code host shows it on the commit. Plain text (GitHub shows it as it is), cut at
 * 140 characters: success `approved by @x` (or auto-approved), failure `denied by @x: reason`,
 * error `noop failed on N nodes` while nodes the commit was to be nooped on gave no report (an
 * approval would not cover them), pending `waiting for @owners`.
 */
export const reviewCommitStatus = (record: ReviewRecord, nameOf: NameOf = (id) => id): CommitStatus => {
  const decision = standing(record);
  const base = { context: REVIEW_STATUS_CONTEXT };
  const status = reviewStatus(record);
  if (status === 'approved')
    return { ...base, state: 'success', description: `approved by ${nameOf(decision?.user ?? '?')}` };
  if (status === 'auto_approved')
    return { ...base, state: 'success', description: 'auto-approved: it changes nothing on the fleet' };
  if (status === 'denied') {
    const by = `denied by ${nameOf(decision?.user ?? '?')}`;
    const reason = decision?.reason?.replace(/\s+/g, ' ').trim();
    return { ...base, state: 'failure', description: (reason ? `${by}: ${reason}` : by).slice(0, MAX) };
  }
  const c = record.grouped.counts;
  const failed = c.failed + c.unreachable;
  if (failed > 0)
    return {
      ...base,
      state: 'error',
      description: `noop failed on ${failed} node${failed === 1 ? '' : 's'}: see the review in chat`,
    };
  const owners = waitingFor(record, nameOf);
  const lead = 'waiting for ';
  return {
    ...base,
    state: 'pending',
    description:
      owners.length > 0 ? `${lead}${listWithin(owners, MAX - lead.length)}` : `${lead}an approver or admin`,
  };
};
