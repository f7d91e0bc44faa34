import { compressHosts, groupsNeedingApproval } from '../../engine/delta/index.js';
import type { Block, Message } from '../../engine/ports/index.js';
import { type ReviewRecord, reviewStatus, standing } from '../../engine/review/records.js';
import { resourceBlocks } from './puppet-report.js';

const hosts = (nodes: readonly string[]) => compressHosts(nodes).join(', ');
const mention = (ids: readonly string[]) => ids.map((id) => `<@${id}>`).join(', ');
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

const statusLine = (record: ReviewRecord): string => {
  const decision = standing(record);
  switch (reviewStatus(record)) {
    case 'approved':
      return `:white_check_mark: Approved by <@${decision?.user}> at ${hhmm(decision?.at ?? 0)}`;
    case 'denied':
      return `:no_entry: Denied by <@${decision?.user}> at ${hhmm(decision?.at ?? 0)}: ${decision?.reason ?? 'no reason given'}`;
    case 'auto_approved':
      return ':white_check_mark: Auto-approved: this commit changes nothing on the fleet';
    case 'pending': {
      const owners = [...new Set([...record.groupOwners, ...record.evalOwners].flatMap((o) => o.owners))];
      return `:hourglass: Waiting for approval${owners.length > 0 ? ` from ${mention(owners)} (or an approver or admin)` : ' from an approver or admin'}`;
    }
  }
};

/** The one message per commit (DESIGN.md §3.5): what it changes across the fleet, and who decides. */
export const reviewMessage = (record: ReviewRecord): Message => {
  const { grouped } = record;
  const authors =
    [...record.authors.map((id) => `<@${id}>`), ...record.unmappedAuthors].join(', ') || 'unknown';
  const status = reviewStatus(record);
  const blocks: Block[] = [
    { kind: 'header', text: `${record.shortSha} ${record.subject}` },
    { kind: 'section', text: `by ${authors}\n${countsLine(record)}` },
    { kind: 'section', text: statusLine(record) },
  ];
  if (status === 'pending') {
    blocks.push({
      kind: 'actions',
      buttons: [
        { label: 'Approve', command: `approve ${record.sha}`, style: 'primary' },
        { label: 'Deny', command: `deny ${record.sha}`, style: 'danger' },
      ],
    });
  }
  for (const note of record.notes.slice(-3)) blocks.push({ kind: 'context', text: note });
  const reviewable = groupsNeedingApproval(grouped);
  reviewable.forEach((group, index) => {
    const owners = record.groupOwners[index];
    const who = owners && owners.owners.length > 0 ? ` · owners ${mention(owners.owners)}` : '';
    const unmapped =
      owners && owners.unmapped.length > 0 ? ` · unmapped owners ${owners.unmapped.join(', ')}` : '';
    blocks.push(
      { kind: 'divider' },
      { kind: 'context', text: `on ${hosts(group.nodes)}${who}${unmapped}` },
      ...resourceBlocks(group.resource),
    );
  });
  for (const group of grouped.evalErrorGroups) {
    const at = group.file ? ` (${group.file}${group.line ? `:${group.line}` : ''})` : '';
    blocks.push(
      { kind: 'divider' },
      { kind: 'section', text: `:x: *does not compile* on ${hosts(group.nodes)}: ${group.message}${at}` },
    );
  }
  for (const group of grouped.parentErrorGroups) {
    blocks.push({
      kind: 'context',
      text: `parent ${group.revision.slice(0, 7)} ${group.kind === 'eval_error' ? 'does not compile' : group.kind} on ${hosts(group.nodes)} (${group.message}): nothing of it was subtracted there`,
    });
  }
  for (const failure of grouped.failures) {
    blocks.push({
      kind: 'context',
      text: `:warning: ${failure.kind} on ${hosts(failure.nodes)}: ${failure.error}`,
    });
  }
  if (grouped.notInLineage.length > 0) {
    blocks.push({
      kind: 'context',
      text: `not in lineage (on another branch, not nooped): ${hosts(grouped.notInLineage)}`,
    });
  }
  const ignored = grouped.groups.filter((group) => group.ignored);
  if (ignored.length > 0) {
    const lines = ignored.map(
      (g) => `\`${g.resource.type}[${g.resource.title}]\` on ${hosts(g.nodes)} — ${g.ignored?.purpose}`,
    );
    blocks.push({
      kind: 'context',
      text: `Ignored, no approval needed (${ignored.length}):\n${lines.join('\n')}`,
    });
  }
  const text = `${record.shortSha} ${record.subject}: ${countsLine(record)} — ${statusLine(record)}`;
  return { text, blocks };
};
