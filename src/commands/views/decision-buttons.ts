import type { ApplyRecord } from '../../engine/apply/records.js';
import type { Button } from '../../engine/ports/message.js';
import { escapeText as esc } from '../../engine/text/mrkdwn.js';
import { plural } from './apply-text.js';

/**
 * The buttons that change production or decide a review, each with its "are you sure?" (issue 11
 * §2). Titles and button words are plain text (shown as typed); `text` is mrkdwn, so what came from
 * git or a person is escaped. Views and the App Home take their buttons from here, so a button
 * never appears without its question.
 */

/** `3f9c2e1@9a8b7c6d`: the commit pinned to the delta on show (decisions bind to it). */
export interface PinnedCommit {
  shortSha: string;
  /** The command argument: `SHA@HASH`. */
  pinned: string;
  /** Nodes the delta was nooped on (what an approval covers). */
  nodes: number;
}

export const approveButton = (commit: PinnedCommit): Button => ({
  label: 'Approve',
  command: `approve ${commit.pinned}`,
  style: 'primary',
  confirm: {
    title: `Approve ${commit.shortSha}?`,
    text: `You approve what \`${esc(commit.shortSha)}\` changes on ${plural(commit.nodes, 'node')}, as shown; applies that include it may then go ahead. A later noop that changes the delta voids it.`,
    yes: 'Approve',
  },
});

/** Deny asks for the reason first: the author reads it to know what to fix. */
export const denyButton = (commit: PinnedCommit): Button => ({
  label: 'Deny',
  command: `deny ${commit.pinned}`,
  style: 'danger',
  confirm: {
    title: `Deny ${commit.shortSha}?`,
    text: `Applies that include \`${esc(commit.shortSha)}\` are blocked until someone approves it. You are asked for the reason next.`,
    yes: 'Deny…',
  },
  ask: {
    title: `Deny ${commit.shortSha}`,
    label: 'Why deny it? The author reads this to know what to fix.',
    placeholder: 'restarts nginx on every node at once',
    submit: 'Deny',
  },
});

const nodeCount = (record: ApplyRecord) => plural(record.nodes.length, 'node');

/** A revision name short enough that a dialog's title still says what it does (titles hold 100). */
const titled = (revision: string) => (revision.length > 40 ? `${revision.slice(0, 39)}…` : revision);

/** Confirm names the revision and how many nodes move, as the plan's header does. */
export const confirmApplyButton = (record: ApplyRecord): Button => ({
  label: 'Confirm',
  command: `confirm ${record.id}`,
  style: 'primary',
  confirm: {
    title: `Apply ${titled(record.revision)} to ${nodeCount(record)}?`,
    text: `Locks ${nodeCount(record)} and applies *${esc(record.revision)}* (\`${esc(record.shortSha)}\`) to production, set by set in the configured order. \`/heckler cancel ${record.id}\` stops it between nodes.`,
    yes: 'Apply',
    no: 'Not now',
  },
});

/** Cancel on a plan drops it; nothing has been locked or applied yet. */
export const dropPlanButton = (record: ApplyRecord): Button => ({
  label: 'Cancel',
  command: `cancel ${record.id}`,
  style: 'danger',
  confirm: {
    title: `Drop apply plan #${record.id}?`,
    text: `Nothing is applied; \`/heckler apply ${esc(record.revision)}\` plans it again.`,
    yes: 'Drop the plan',
    no: 'Keep it',
  },
});

/** Cancel on a running apply stops it between nodes: what is applied stays applied. */
export const stopApplyButton = (record: ApplyRecord): Button => ({
  label: 'Cancel',
  command: `cancel ${record.id}`,
  style: 'danger',
  confirm: {
    title: `Stop apply #${record.id}?`,
    text: `The apply of *${esc(record.revision)}* stops after the nodes applying now; nodes already applied keep it, the rest stay where they are.`,
    yes: 'Stop the apply',
    no: 'Keep going',
  },
});

/** A forced unlock takes a lock from someone else (or from an apply): admins only, asked first. */
export const forceUnlockButton = (node: string, holder: string): Button => ({
  label: `Unlock ${node}`,
  command: `unlock ${node} --force`,
  style: 'danger',
  confirm: {
    title: `Force-unlock ${node}?`,
    text: `*${esc(node)}* is locked by ${holder}. Unlocking it lets applies and others act on it now, whatever the holder is doing.`,
    yes: 'Unlock it',
  },
});
