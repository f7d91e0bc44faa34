import type { Digest, OwnerDigest, RememberedGroup } from '../../engine/permadiffs/digest.js';
import type { PermadiffEntry } from '../../engine/permadiffs/ignored.js';
import type { StaleLock, WaitingReview } from '../../engine/permadiffs/stale.js';
import type { Block, ChatFile, Message } from '../../engine/ports/index.js';
import { formatDuration } from '../../engine/text/duration.js';
import { escapeText as esc, mention } from '../../engine/text/mrkdwn.js';
import { digestFile, ownerFile } from './permadiff-digest-file.js';
import {
  clip,
  groupBlocks,
  type HostLists,
  hostListsOf,
  hostsText,
  ignoredLine,
  resourceName,
  when,
} from './permadiffs.js';

/**
 * Room in one message, kept well inside Slack's (50 blocks, ~12,000 characters of block text;
 * src/bot/render/slack-limits.ts), so the renderer never has to continue a digest in its thread:
 * what does not fit goes to the one attached file, and the message says how much.
 */
export const DIGEST_BUDGET = { blocks: 40, text: 9_000 };
/** Lines per list (new, resolved, ignored, locks, commits) before the rest goes to the file. */
const LIST_LINES = 8;
/** Groups shown in full at most, biggest first. */
const BIGGEST = 10;
const GROUP_VIEW = { maxHosts: 300, diffLines: 8, diffWidth: 160 };

/** What a block costs against the budget: its text as Slack gets it (code escaped), plus its container. */
const weight = (block: Block): number => {
  if (block.kind === 'divider') return 20;
  if (block.kind === 'actions') return 20 + block.buttons.reduce((sum, b) => sum + b.label.length, 0);
  if (block.kind === 'fields')
    return 20 + block.fields.reduce((sum, f) => sum + f.label.length + f.value.length, 0);
  const escapes = block.kind === 'code' ? (block.text.match(/[&<>]/g)?.length ?? 0) * 4 + 10 : 0;
  return 20 * Math.ceil((block.text.length + 1) / 3000) + block.text.length + escapes;
};

export interface DigestView {
  message: Message;
  /** Everything, when something did not fit the message; undefined when it all did. */
  file?: ChatFile;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** At most LIST_LINES lines; the rest counted, with where to find them. */
const capped = (lines: readonly string[], more: string): { text: string; cut: boolean } =>
  lines.length <= LIST_LINES
    ? { text: lines.join('\n'), cut: false }
    : {
        text: [
          ...lines.slice(0, LIST_LINES),
          `… ${lines.length - LIST_LINES} more ${more} in the attached file`,
        ].join('\n'),
        cut: true,
      };

const entryLine = (entry: PermadiffEntry) =>
  `${resourceName(entry.group)} on ${plural(entry.nodes.length, 'node')}`;
const resolvedLine = (group: RememberedGroup) =>
  `${esc(clip(group.name, 300))} (was on ${plural(group.nodes, 'node')})`;

export const staleLockLine = ({ lock, why }: StaleLock, now: number): string =>
  `${esc(lock.node)}: ${why.kind === 'apply not running' ? `held by apply #${why.apply}, which is no longer running` : `held by ${mention(lock.owner)} for ${formatDuration(now - lock.since)} (${esc(clip(lock.reason, 200))})`}`;

export const waitingLine = (review: WaitingReview, now: number): string =>
  `\`${esc(review.shortSha)}\` ${esc(clip(review.subject, 200))} — committed ${formatDuration(now - review.committedAt)} ago`;

/** The totals line: how many stand, where, how many are collapsed. */
const totals = (digest: Digest) =>
  digest.standing.length === 0
    ? `No permadiffs${digest.ignored.length > 0 ? ` (${plural(digest.ignored.length, 'ignored group')} collapsed below)` : ''}.`
    : `*${plural(digest.standing.length, 'permadiff')}* on ${plural(digest.nodesAffected, 'node')}` +
      `${digest.ignored.length > 0 ? `, ${digest.ignored.length} ignored` : ''}.`;

/** Sections of lists, each capped; `cut` says whether any went only to the file. */
const lists = (digest: Digest, withChanges: boolean) => {
  const blocks: Block[] = [];
  let cut = false;
  const add = (title: string, lines: string[], more: string, kind: 'section' | 'context' = 'section') => {
    if (lines.length === 0) return;
    const part = capped(lines, more);
    cut ||= part.cut;
    blocks.push({ kind, text: `${title}\n${part.text}` });
  };
  if (withChanges && digest.since !== undefined) {
    add('*New since the last digest:*', digest.fresh.map(entryLine), 'new groups');
    add('*Resolved since the last digest:*', digest.resolved.map(resolvedLine), 'resolved groups');
  }
  add('*Ignored* (collapsed):', digest.ignored.map(ignoredLine), 'ignored groups', 'context');
  if (digest.notScanned.length > 0) {
    // By reason, hosts compressed: a thousand unreachable nodes are one short line; details in the file.
    const byReason = new Map<string, string[]>();
    for (const n of digest.notScanned) byReason.set(n.reason, [...(byReason.get(n.reason) ?? []), n.node]);
    const text = [...byReason].map(([reason, nodes]) => `${hostsText(nodes, 300)} (${reason})`).join('; ');
    blocks.push({
      kind: 'context',
      text: `Could not scan ${plural(digest.notScanned.length, 'node')} (not counted, nothing resolved there): ${text}`,
    });
    cut ||= digest.notScanned.some((n) => n.detail !== undefined);
  }
  add(
    '*Stale node locks:*',
    digest.staleLocks.map((s) => staleLockLine(s, digest.at)),
    'stale locks',
  );
  add(
    '*Waiting for approval for more than a day:*',
    digest.waiting.map((r) => waitingLine(r, digest.at)),
    'commits',
  );
  return { blocks, cut };
};

/**
 * Each entry's blocks, drawn once per digest: the owners' messages show the digest's biggest
 * groups again. Keyed weakly by the digest's own entries, so they go with it.
 */
const drawn = new WeakMap<PermadiffEntry, ReturnType<typeof groupBlocks>>();
const blocksOf = (entry: PermadiffEntry, fold: HostLists) => {
  let part = drawn.get(entry);
  if (part === undefined) {
    part = groupBlocks(entry.group, entry.nodes, { ...GROUP_VIEW, fold });
    drawn.set(entry, part);
  }
  return part;
};

/** The biggest groups that fit what is left of the budget after `fixed`. */
const biggest = (entries: readonly PermadiffEntry[], fixed: readonly Block[], fold: HostLists) => {
  let blocks = fixed.length + 2;
  let text = fixed.reduce((sum, block) => sum + weight(block), 200);
  const shown: Block[] = [];
  let count = 0;
  let shortened = false;
  for (const entry of entries.slice(0, BIGGEST)) {
    const part = blocksOf(entry, fold);
    const cost = part.blocks.reduce((sum, block) => sum + weight(block), 0);
    if (blocks + part.blocks.length > DIGEST_BUDGET.blocks || text + cost > DIGEST_BUDGET.text) break;
    blocks += part.blocks.length;
    text += cost;
    shown.push(...part.blocks);
    count += 1;
    shortened ||= part.shortened;
  }
  return { shown, count, shortened };
};

const since = (digest: Digest) => (digest.since === undefined ? '' : ` (${when(digest.since)})`);

/** The digest message, and the file when anything did not fit it. */
export const digestView = (digest: Digest): DigestView => {
  const header: Block = { kind: 'header', text: `Permadiff digest, ${when(digest.at)}` };
  const scan = digest.lastScan
    ? `Last scan ${when(digest.lastScan.at)}: ${plural(digest.lastScan.scanned.length, 'node')} scanned.`
    : 'No permadiff scan has run yet.';
  if (!digest.changed) {
    // Nothing new, nothing resolved: one line with the totals (locks and waiting commits still count).
    const line = `Nothing changed since the last digest${since(digest)}: ${totals(digest).replace(/\.$/, '')}. \`/heckler permadiffs\` lists them.`;
    const rest = lists(digest, false);
    const blocks: Block[] = [
      header,
      { kind: 'section', text: line },
      ...rest.blocks.filter((b) => b.kind === 'section'),
      { kind: 'context', text: scan },
    ];
    // A long list of stale locks or waiting commits was capped: the file has it whole.
    return { message: { text: line, blocks }, ...(rest.cut ? { file: digestFile(digest) } : {}) };
  }
  const first = digest.since === undefined ? ' (the first digest)' : '';
  const changes =
    digest.since === undefined
      ? ''
      : ` Since the last digest${since(digest)}: ${digest.fresh.length} new, ${digest.resolved.length} resolved` +
        `${digest.newlyIgnored.length > 0 ? `, ${digest.newlyIgnored.length} newly ignored` : ''}.`;
  const summary = `${totals(digest)}${changes}${first}`;
  const listed = lists(digest, true);
  const top = biggest(
    digest.standing,
    [header, { kind: 'section', text: summary }, ...listed.blocks],
    hostListsOf(digest),
  );
  const more = digest.standing.length - top.count;
  const overflow = more > 0 || top.shortened || listed.cut;
  const footer = [
    scan,
    more > 0 ? `${plural(more, 'more group')} in the attached file.` : '',
    more === 0 && overflow ? 'Full host lists and diffs in the attached file.' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const groupsTitle: Block[] =
    top.count > 0
      ? [{ kind: 'section', text: `*Biggest groups* (${top.count} of ${digest.standing.length}):` }]
      : [];
  const blocks: Block[] = [
    header,
    { kind: 'section', text: summary },
    ...groupsTitle,
    ...top.shown,
    ...listed.blocks,
    { kind: 'context', text: footer },
  ];
  return {
    message: { text: `Permadiff digest: ${summary}`, blocks },
    ...(overflow ? { file: digestFile(digest) } : {}),
  };
};

/** A person's private message: only what they own (admins: what nobody owns), and what of theirs went. */
export const ownerDigestView = (owner: OwnerDigest, digest: Digest): DigestView => {
  const entries = [...owner.owned, ...owner.unowned];
  const resolved = capped(owner.resolved.map(resolvedLine), 'resolved groups');
  const parts = [
    owner.owned.length > 0 ? `*${plural(owner.owned.length, 'permadiff')}* you own` : '',
    owner.unowned.length > 0
      ? `*${plural(owner.unowned.length, 'permadiff')}* nobody owns (you are an admin)`
      : '',
  ].filter(Boolean);
  const head =
    entries.length === 0
      ? 'None of your permadiffs stand any more.'
      : `${parts.join(' and ')} in the digest of ${when(digest.at)}:`;
  const fixed: Block[] = [{ kind: 'section', text: head }];
  if (resolved.text) fixed.push({ kind: 'section', text: `*Resolved:*\n${resolved.text}` });
  const top = biggest(entries, fixed, hostListsOf(digest));
  const more = entries.length - top.count;
  const overflow = more > 0 || top.shortened || resolved.cut;
  const footer = `${more > 0 ? `${plural(more, 'more group')} in the attached file. ` : ''}\`/heckler permadiffs --owner\` with your name lists them; \`/heckler ignore\` collapses one with a reason.`;
  return {
    message: { text: head, blocks: [...fixed, ...top.shown, { kind: 'context', text: footer }] },
    ...(overflow ? { file: ownerFile(owner, digest) } : {}),
  };
};
