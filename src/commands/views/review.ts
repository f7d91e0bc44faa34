import { compressHosts } from '../../engine/delta/index.js';
import { buildBlockOf } from '../../engine/gate/rules.js';
import type { Block, Button, Message } from '../../engine/ports/index.js';
import {
  coveredNodes,
  type PartOwnership,
  type ReviewRecord,
  reviewStatus,
} from '../../engine/review/records.js';
import { escapeText as esc, mentionAll } from '../../engine/text/mrkdwn.js';
import { SHOWN_HASH_LENGTH } from '../review-args.js';
import { approveButton, denyButton } from './decision-buttons.js';
import { resourceBlocks } from './puppet-report.js';
import { fitReview, type ReviewPart } from './review-budget.js';
import { buildLine, type ReviewBuildGate } from './review-build.js';
import { reviewFile, reviewGroups } from './review-file.js';
import { countsLine, coverageLine, type ReviewRoles, statusLine } from './review-status.js';

export { countsLine } from './review-status.js';

/** Hosts as compressHosts writes them; past `max` characters cut visibly, saying how many there are. */
const hosts = (nodes: readonly string[], max = Number.POSITIVE_INFINITY) => {
  const all = compressHosts(nodes).join(', ');
  return all.length <= max ? esc(all) : `${esc(all.slice(0, max))}… (${nodes.length} nodes)`;
};

/** Who owns one part of a change; `of` names the part when a change has several. */
const partText = (part: PartOwnership, named: boolean) => {
  const who = [mentionAll(part.owners), ...part.unmapped.map((name) => `${esc(name)} (unmapped)`)]
    .filter(Boolean)
    .join(', ');
  return `${who || 'nobody (an approver or admin decides)'}${named ? ` for ${esc(part.of)}` : ''}`;
};

/** Who wrote it, as git and GitHub claim, and what of that could not be tied to a chat user. */
const writersLine = (record: ReviewRecord): string => {
  const authors = [mentionAll(record.authors), ...record.unmappedAuthors.map(esc)].filter(Boolean).join(', ');
  const parts = [`by ${authors || 'unknown'}`];
  const committer = record.committer;
  // Shown only when someone else committed it (a rebase, a merge by a maintainer, a forged author).
  const committerIsAuthor =
    committer !== undefined &&
    ((committer.id !== undefined && record.authors.includes(committer.id)) ||
      record.unmappedAuthors.includes(committer.person));
  if (committer && !committerIsAuthor)
    parts.push(`committed by ${committer.id ? mentionAll([committer.id]) : esc(committer.person)}`);
  const github = record.github;
  if (github && 'error' in github)
    parts.push(`GitHub could not be asked who wrote it (${esc(github.error)})`);
  else if (github) {
    const logins = [github.authorLogin, github.committerLogin]
      .filter(Boolean)
      .map((login) => `@${esc(login ?? '')}`);
    parts.push(
      `GitHub: ${[...new Set(logins)].join(', ') || 'no GitHub user'} · signature ${github.verified ? 'verified' : `not verified (${esc(github.verificationReason ?? 'unsigned')})`}`,
    );
  }
  const lines = [parts.join(' · ')];
  if (record.unmappedAuthors.length > 0)
    lines.push(
      `:warning: *author not mapped*: ${record.unmappedAuthors.map(esc).join(', ')} maps to no chat user (approvals.people), so Heckler cannot stop them approving it; owners may still approve`,
    );
  return lines.join('\n');
};

/** Approve / Deny on a waiting review (also in owner pings and the App Home). */
export const reviewButtons = (record: ReviewRecord, gate: ReviewBuildGate | undefined): Block[] => {
  if (reviewStatus(record) !== 'pending') return [];
  const pinned = `${record.sha}@${record.deltaHash.slice(0, SHOWN_HASH_LENGTH)}`;
  const commit = { shortSha: record.shortSha, pinned, nodes: coveredNodes(record).covered };
  const list: Button[] = [];
  // Nothing reviewed, nothing to approve: only a denial makes sense; nor before the build passed, when required.
  const unbuilt = gate?.approvals === true && buildBlockOf(record.build) !== undefined;
  if (commit.nodes > 0 && !unbuilt) list.push(approveButton(commit));
  list.push(denyButton(commit));
  return [{ kind: 'actions', buttons: list }];
};

/** The one message per commit (DESIGN.md §3.5): what it changes across the fleet, and who decides. */
export const reviewMessage = (
  record: ReviewRecord,
  roles: ReviewRoles = { admins: [], approvers: [] },
  /** repo.build: the commit's build is shown, and may gate approvals and applies. */
  gate?: ReviewBuildGate,
): Message => {
  const { grouped } = record;
  const subject = esc(record.subject);
  const build = buildLine(record, gate);
  const blocks: Block[] = [
    { kind: 'header', text: `${esc(record.shortSha)} ${subject}` },
    { kind: 'section', text: `${writersLine(record)}\n${countsLine(record)}` },
    { kind: 'section', text: statusLine(record, roles) },
    ...(build ? [{ kind: 'section' as const, text: build }] : []),
    ...reviewButtons(record, gate),
    {
      kind: 'context',
      text: [coverageLine(record), `delta \`${record.deltaHash.slice(0, SHOWN_HASH_LENGTH)}\``]
        .filter(Boolean)
        .join(' · '),
    },
  ];
  if ((record.pluginCode ?? []).length > 0)
    blocks.push({
      kind: 'section',
      text: `:warning: *runs code on the nodes during noop*: ${record.pluginCode?.map((path) => `\`${esc(path)}\``).join(', ')}. That code ran as root on every node nooped and could shape its own report: never auto-approved; read it before approving.`,
    });
  if (record.codeownersOwners)
    blocks.push({
      kind: 'context',
      text: `This commit changes CODEOWNERS: its approval also needs ${partText(record.codeownersOwners, true)} (as of the parent commit)`,
    });
  for (const note of record.notes.slice(-3)) blocks.push({ kind: 'context', text: note });
  // Largest host set first: when not all fit one message, the ones shown touch the most nodes.
  const groups = reviewGroups(record).map(({ group, parts }): ReviewPart => {
    const sources = group.sources ?? [];
    const owners = parts.map((part) => partText(part, parts.length > 1)).join('; ') || 'none';
    const text = (max: number) => {
      const where =
        sources.length > 1
          ? `\nfrom ${sources.map((s) => `${esc(s.file ?? 'unknown file')}${s.line ? `:${s.line}` : ''} on ${hosts(s.nodes, max / 2)}`).join('; ')}`
          : '';
      return `on ${hosts(group.nodes, max)} · owners ${owners}${where}`;
    };
    const resource = resourceBlocks(group.resource);
    return {
      nodes: group.nodes.length,
      blocks: [{ kind: 'divider' }, { kind: 'context', text: text(Number.POSITIVE_INFINITY) }, ...resource],
      // A large review shortens host lists, so the owners after them still show.
      compact: [{ kind: 'divider' }, { kind: 'context', text: text(200) }, ...resource],
    };
  });
  const tail: Block[] = [];
  for (const group of grouped.evalErrorGroups) {
    const at = group.file ? ` (${esc(group.file)}${group.line ? `:${group.line}` : ''})` : '';
    tail.push(
      { kind: 'divider' },
      {
        kind: 'section',
        text: `:x: *does not compile* on ${hosts(group.nodes)}: ${esc(group.message)}${at}`,
      },
    );
  }
  for (const group of grouped.parentErrorGroups) {
    tail.push({
      kind: 'context',
      text: `parent ${esc(group.revision.slice(0, 7))} ${group.kind === 'eval_error' ? 'does not compile' : group.kind} on ${hosts(group.nodes)} (${esc(group.message)}): nothing of it was subtracted there`,
    });
  }
  for (const failure of grouped.failures) {
    tail.push({
      kind: 'context',
      text: `:warning: ${failure.kind} on ${hosts(failure.nodes)} (not reviewed there): ${esc(failure.error)}`,
    });
  }
  if (grouped.notInLineage.length > 0) {
    tail.push({
      kind: 'context',
      text: `not in lineage (on another branch, not nooped): ${hosts(grouped.notInLineage)}`,
    });
  }
  const ignored = grouped.groups.filter((group) => group.ignored);
  if (ignored.length > 0) {
    const lines = ignored.map(
      (g) =>
        `\`${esc(`${g.resource.type}[${g.resource.title}]`)}\` on ${hosts(g.nodes)} — ${esc(g.ignored?.purpose ?? '')}`,
    );
    tail.push({
      kind: 'context',
      text: `Ignored, no approval needed (${ignored.length}):\n${lines.join('\n')}`,
    });
  }
  const text = `${esc(record.shortSha)} ${subject}: ${countsLine(record)} — ${statusLine(record, roles)}`;
  // Too big for one message: the changes that fit, and every change in the Full diff file.
  return fitReview({ text, head: blocks, groups, tail }, () => reviewFile(record));
};
