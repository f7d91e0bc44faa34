import { revisionText } from '../../engine/apply/plan.js';
import type { ApplyRecord, Blocker, PlannedNode } from '../../engine/apply/records.js';
import { buildBlockText, PUPPET_BUILD_REPO } from '../../engine/gate/rules.js';
import type { Block, Message } from '../../engine/ports/index.js';
import { formatDuration } from '../../engine/text/duration.js';
import { escapeText as esc, mention, mentionAll } from '../../engine/text/mrkdwn.js';
import { hhmm, hosts, plural, selectorText, target } from './apply-text.js';
import { confirmApplyButton, dropPlanButton } from './decision-buttons.js';

/** Past this many commit or blocker lines a plan says how many more there are (never cut silently). */
const MAX_LINES = 30;

const listed = (lines: string[], more: (n: number) => string): string =>
  lines.length <= MAX_LINES
    ? lines.join('\n')
    : [...lines.slice(0, MAX_LINES), more(lines.length - MAX_LINES)].join('\n');

const fromText = (node: PlannedNode) =>
  node.from
    ? `on ${esc(revisionText(node.from.sha, node.from.names))}${node.dirty ? ' (dirty)' : ''}`
    : 'never applied by Heckler';

/** Nodes with the same starting point bring the same commits: one line for them all. */
const nodeLines = (record: ApplyRecord): string[] => {
  const groups = new Map<string, { nodes: string[]; sample: PlannedNode }>();
  for (const node of record.nodes) {
    const key = `${node.from?.sha ?? ''}|${node.dirty}|${node.rollsBack?.length ?? -1}`;
    const group = groups.get(key) ?? { nodes: [], sample: node };
    group.nodes.push(node.node);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ nodes, sample }) => {
    const brings = sample.commits.length;
    let what: string;
    if (sample.rollsBack !== undefined)
      what = `*rolled back* (--force): takes away ${plural(sample.rollsBack.length, 'commit')}${brings > 0 ? `, brings ${plural(brings, 'commit')}` : ''}`;
    else if (brings === 0) what = 're-applied (a failed apply left it part-way)';
    else
      what = `brings ${plural(brings, 'commit')}${sample.from ? '' : ` (all of ${esc(record.revision)}'s history)`}`;
    return `• *${hosts(nodes)}* ${fromText(sample)} → ${what}`;
  });
};

const unreviewedText = (blocker: Blocker) =>
  (blocker.nodes ?? []).map((n) => `${esc(n.node)}: ${esc(n.why)}`).join('; ');

const blockerLine = (blocker: Blocker): string => {
  const head = `• \`${esc(blocker.shortSha)}\` ${esc(blocker.subject)} — `;
  switch (blocker.kind) {
    case 'not_nooped':
      return `${head}not yet nooped: \`/heckler noop ${esc(blocker.shortSha)}\` reviews it`;
    case 'stale':
      return `${head}noop stale: the fleet changed since it was nooped; the bot re-noops stale commits on its schedule, or now with \`/heckler noop ${esc(blocker.shortSha)}\``;
    case 'pending':
      return `${head}waiting for approval from ${blocker.owners.length > 0 ? `${mentionAll(blocker.owners)} (or an approver or admin)` : 'an approver or admin'}`;
    case 'denied':
      return `${head}denied by ${blocker.by ? mention(blocker.by) : 'someone'}${blocker.reason ? `: ${esc(blocker.reason)}` : ''} (a typed \`/heckler approve ${esc(blocker.shortSha)}\` overturns it)`;
    case 'not_reviewed':
      return `${head}not reviewed on ${unreviewedText(blocker)}: its approval covers only nodes that produced a noop; fix them and \`/heckler noop ${esc(blocker.shortSha)}\` again, or an admin adds \`--force\``;
    case 'build':
      return `${head}${buildText(blocker)} (apply.requireBuild; an admin's \`--force\` applies it anyway)`;
  }
};

/** apply.requireBuild: what the commit's own build says (escaped mrkdwn from the gate's rules). */
const buildText = (blocker: Blocker) =>
  blocker.build
    ? buildBlockText(blocker.build, { shortSha: blocker.shortSha, repo: PUPPET_BUILD_REPO })
    : 'its build has not passed';

/** The plan (DESIGN.md §3.6): who moves from where, what it brings, what blocks it. */
export const planMessage = (record: ApplyRecord, now: number): Message => {
  const blocked = record.blockers.length > 0;
  const blocks: Block[] = [
    {
      kind: 'header',
      text: `Apply plan #${record.id}: ${esc(record.revision)} on ${plural(record.nodes.length, 'node')}${blocked ? ' — blocked' : ''}`,
    },
    {
      kind: 'section',
      text: `*${esc(target(record))}* ${esc(record.subject)}\nasked by ${mention(record.requestedBy)} · ${selectorText(record.selector)}${record.force ? ' · --force' : ''}`,
    },
    { kind: 'section', text: `*Nodes*\n${nodeLines(record).join('\n')}` },
  ];
  if (record.skipped.length > 0) {
    const byDetail = new Map<string, string[]>();
    for (const skip of record.skipped)
      byDetail.set(skip.detail, [...(byDetail.get(skip.detail) ?? []), skip.node]);
    const lines = [...byDetail].map(([detail, nodes]) => `• *${hosts(nodes)}* ${detail}`);
    blocks.push({ kind: 'section', text: `*Skipped*\n${lines.join('\n')}` });
  }
  const blockedShas = new Set(record.blockers.map((blocker) => blocker.sha));
  const commitLines = record.commits.map((commit) => {
    const state = blockedShas.has(commit.sha)
      ? ':no_entry: blocked'
      : commit.approvedBy === 'auto'
        ? 'auto-approved'
        : `approved by ${mention(commit.approvedBy ?? '?')}`;
    return `• \`${esc(commit.shortSha)}\` ${esc(commit.subject)} — ${esc(commit.author)} · ${state}`;
  });
  if (commitLines.length > 0)
    blocks.push({
      kind: 'section',
      text: `*Commits* (${record.commits.length}, oldest first)\n${listed(commitLines, (n) => `…and ${n} more`)}`,
    });
  if (blocked) {
    blocks.push({
      kind: 'section',
      text: `:no_entry: *Blocked*: ${plural(record.blockers.length, 'commit is', 'commits are')} not approved for the fleet as it is now\n${listed(record.blockers.map(blockerLine), (n) => `…and ${n} more (\`/heckler pending\` lists commits waiting for approval)`)}`,
    });
    blocks.push({
      kind: 'context',
      text: `This plan cannot be confirmed. Once every commit above is approved, run \`/heckler apply ${esc(record.revision)}\` again.`,
    });
  }
  if ((record.overridden ?? []).length > 0) {
    const lines = (record.overridden ?? []).map(
      (blocker) =>
        `• \`${esc(blocker.shortSha)}\` ${esc(blocker.subject)} — ${blocker.kind === 'build' ? buildText(blocker) : `not reviewed on ${unreviewedText(blocker)}`}`,
    );
    blocks.push({
      kind: 'section',
      text: `:warning: *--force*: applied where no review covers it or past its build (written to the audit log on confirm)\n${listed(lines, (n) => `…and ${n} more`)}`,
    });
  }
  for (const warning of record.warnings) blocks.push({ kind: 'context', text: `:warning: ${warning}` });
  switch (record.status) {
    case 'planned':
      if (blocked) break;
      blocks.push({
        kind: 'context',
        text: `Confirm by ${hhmm(record.expiresAt)} UTC (${formatDuration(Math.max(0, record.expiresAt - now))} left); the nodes are locked when you confirm.`,
      });
      blocks.push({
        kind: 'actions',
        buttons: [confirmApplyButton(record), dropPlanButton(record)],
      });
      break;
    case 'expired':
      blocks.push({
        kind: 'section',
        text: `:hourglass_flowing_sand: Plan #${record.id} expired${record.note ? ` (${record.note})` : ` at ${hhmm(record.expiresAt)} UTC without a confirm`}. Run \`/heckler apply ${esc(record.revision)}\` again.`,
      });
      break;
    case 'cancelled':
      blocks.push({
        kind: 'section',
        text: `:no_entry_sign: Dropped by ${mention(record.cancelledBy ?? '?')}${record.cancelledAt ? ` at ${hhmm(record.cancelledAt)} UTC` : ''}.`,
      });
      break;
    default:
      break;
  }
  const text = `Apply plan #${record.id}: ${esc(record.revision)} on ${plural(record.nodes.length, 'node')}${blocked ? ' (blocked)' : ''}`;
  return { text, blocks };
};
