import type { ApplyRecord } from '../../engine/apply/records.js';
import type { BuildRecord } from '../../engine/builds/records.js';
import { compressHosts, groupsNeedingApproval } from '../../engine/delta/index.js';
import type { HomeFacts, RevisionRow } from '../../engine/home/facts.js';
import type { Block, Message } from '../../engine/ports/index.js';
import type { AuditEntry, ReviewRecord } from '../../engine/review/records.js';
import { escapeText as esc, mention, USER_ID } from '../../engine/text/mrkdwn.js';
import { clip } from './owner-ping.js';
import { reviewButtons } from './review.js';
import type { ReviewBuildGate } from './review-build.js';
import { countsLine } from './review-status.js';

/**
 * The App Home dashboard (issue 11 §3), also `/heckler home`: a pure function of one user's facts.
 * It stays within a view's 100 blocks whatever the facts: each list shows its first few, one line
 * each (clipped before escaping), and "…and N more" names the command that lists them all.
 */
export const HOME_LIMITS = {
  /** Two blocks each (the commit, its buttons). */
  awaiting: 10,
  applies: 5,
  builds: 5,
  locks: 10,
  revisions: 10,
  permadiffs: 8,
  decisions: 8,
} as const;

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const hosts = (nodes: readonly string[], max = 160) => esc(clip(compressHosts(nodes).join(', '), max));
const short = (sha: string) => `\`${esc(sha.slice(0, 7))}\``;
/** Who started something: a chat user is mentioned, anything else (a pusher, "PR #12 by @x") quoted. */
const who = (by: string) => (USER_ID.test(by) ? mention(by) : esc(clip(by, 60)));

const more = (shown: number, total: number, command: string, what: string) =>
  total > shown ? [`…and ${total - shown} more ${what}: \`/heckler ${command}\``] : [];

/** A titled list as one section, "none" when empty. */
const list = <T>(
  title: string,
  items: readonly T[],
  max: number,
  line: (item: T) => string,
  pointer: { command: string; what: string; empty: string },
): Block[] => {
  const lines = items.slice(0, max).map(line);
  const body =
    items.length === 0
      ? `_${pointer.empty}_`
      : [...lines, ...more(lines.length, items.length, pointer.command, pointer.what)].join('\n');
  return [{ kind: 'divider' }, { kind: 'section', text: `*${title}*\n${body}` }];
};

const awaitingBlocks = (records: readonly ReviewRecord[], gate: ReviewBuildGate | undefined): Block[] => {
  const title: Block = { kind: 'section', text: `*Waiting for your approval* (${records.length})` };
  if (records.length === 0)
    return [{ kind: 'divider' }, title, { kind: 'context', text: 'Nothing waits for you.' }];
  const shown = records.slice(0, HOME_LIMITS.awaiting).flatMap((record): Block[] => {
    const mine = groupsNeedingApproval(record.grouped).length;
    return [
      {
        kind: 'section',
        text: `${short(record.shortSha)} ${esc(clip(record.subject, 120))}\n${countsLine(record)} · ${mine} change${mine === 1 ? '' : 's'} to review`,
      },
      ...reviewButtons(record, gate),
    ];
  });
  const rest = more(HOME_LIMITS.awaiting, records.length, 'pending', 'commits');
  return [
    { kind: 'divider' },
    title,
    ...shown,
    ...(rest.length > 0 ? [{ kind: 'context' as const, text: rest.join('') }] : []),
  ];
};

const applyLine = (record: ApplyRecord): string => {
  const results = record.stages.flatMap((stage) => stage.nodes);
  const ok = results.filter((n) => n.status === 'ok').length;
  const failed = results.filter((n) => n.status === 'failed').length;
  const stage = record.stages.find((s) => s.status === 'running')?.name;
  return `• apply #${record.id} *${esc(clip(record.revision, 60))}* (${short(record.shortSha)}): ${ok + failed}/${record.nodes.length} nodes ✓ ${ok} ✗ ${failed}${stage ? ` · stage ${esc(clip(stage, 40))}` : ''} · ${record.status} · by ${who(record.confirmedBy ?? record.requestedBy)}`;
};

const buildLine = (record: BuildRecord): string => {
  const total = record.stages.length;
  const done = record.stages.filter((stage) => stage.status !== 'not_run').length;
  const progress =
    record.status === 'running' ? `running, stage ${Math.min(done + 1, total)} of ${total}` : 'queued';
  return `• build #${record.id} ${esc(clip(record.repo, 60))} (${esc(clip(record.branch, 60))} ${short(record.sha)}): ${progress} · by ${who(record.trigger.by)}`;
};

const revisionLine = (row: RevisionRow): string => {
  const what = row.sha
    ? `${short(row.sha)}${row.names.length > 0 ? ` ${esc(clip(row.names.slice(0, 3).join(', '), 80))}` : ''}`
    : '_never applied by Heckler_';
  const flags = [
    row.dirty.length > 0 ? `:warning: ${row.dirty.length} dirty (${hosts(row.dirty, 80)})` : '',
    row.locked.length > 0 ? `:lock: ${row.locked.length} locked (${hosts(row.locked, 80)})` : '',
  ].filter(Boolean);
  return `• ${what}: ${row.nodes.length} node${row.nodes.length === 1 ? '' : 's'} (${hosts(row.nodes)})${flags.length > 0 ? ` · ${flags.join(' · ')}` : ''}`;
};

const decisionLine = (entry: AuditEntry): string => {
  const verb = {
    approve: 'approved',
    deny: 'denied',
    apply_forced: 'forced an apply past',
    ignore: 'ignored',
    unignore: 'stopped ignoring',
    auto_approve: 'auto-approved',
    void: 'voided',
  }[entry.action];
  const what = entry.shortSha
    ? short(entry.shortSha)
    : entry.ignore
      ? `\`${esc(clip(`${entry.ignore.type}[${entry.ignore.title ?? '*'}]`, 80))}\``
      : '';
  return `• ${verb} ${what} at ${when(entry.at)}${entry.reason ? `: ${esc(clip(entry.reason, 120))}` : ''}`;
};

/** The dashboard of `facts.user`: only what is theirs, and what the whole team sees anyway. */
export const homeMessage =
  (gate?: ReviewBuildGate) =>
  (facts: HomeFacts): Message => {
    const blocks: Block[] = [
      { kind: 'header', text: 'Heckler' },
      {
        kind: 'context',
        text: `For ${mention(facts.user)} · \`/heckler home\` shows this anywhere · \`/heckler help\` lists every command`,
      },
    ];
    if (facts.has.fleet) blocks.push(...awaitingBlocks(facts.awaiting, gate));
    const active = (record: ApplyRecord) => record.status === 'running' || record.status === 'confirmed';
    if (facts.has.fleet)
      blocks.push(
        ...list('Applies running', facts.applies.filter(active), HOME_LIMITS.applies, applyLine, {
          command: 'status',
          what: 'applies',
          empty: 'No apply is running.',
        }),
      );
    if (facts.has.builds)
      blocks.push(
        ...list('Builds running and queued', facts.builds, HOME_LIMITS.builds, buildLine, {
          command: 'builds',
          what: 'builds',
          empty: 'No build is running or queued.',
        }),
      );
    blocks.push(
      ...list(
        'Your locks',
        facts.locks,
        HOME_LIMITS.locks,
        (lock) =>
          `• *${esc(clip(lock.node, 64))}*: ${esc(clip(lock.reason, 120))} · until ${when(lock.expiresAt)}`,
        { command: 'locks', what: 'locks', empty: 'You hold no node lock.' },
      ),
    );
    if (facts.has.fleet) {
      blocks.push(
        ...list('The fleet by revision', facts.fleet, HOME_LIMITS.revisions, revisionLine, {
          command: 'status',
          what: 'revisions',
          empty: 'No node is configured.',
        }),
        ...list(
          'Your permadiffs',
          facts.permadiffs,
          HOME_LIMITS.permadiffs,
          (group) =>
            `• \`${esc(clip(`${group.resource.type}[${group.resource.title}]`, 120))}\` on ${hosts(group.nodes, 120)}${group.since ? ` since ${when(group.since)}` : ''}`,
          { command: 'permadiffs', what: 'permadiffs', empty: 'No permadiff of yours.' },
        ),
      );
    }
    blocks.push(
      ...list('Your recent decisions', facts.decisions, HOME_LIMITS.decisions, decisionLine, {
        command: 'audit',
        what: 'entries',
        empty: 'You have decided nothing yet.',
      }),
    );
    const waiting = facts.awaiting.length;
    return {
      text: `Heckler: ${waiting} commit${waiting === 1 ? '' : 's'} waiting for your approval`,
      blocks,
    };
  };
