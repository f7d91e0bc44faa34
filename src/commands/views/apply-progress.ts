import type { ApplyEvent, ApplyViews } from '../../engine/apply/progress.js';
import type { ApplyRecord, NodeResult } from '../../engine/apply/records.js';
import type { Block, Message } from '../../engine/ports/index.js';
import { formatDuration } from '../../engine/text/duration.js';
import { escapeText as esc } from '../../engine/text/mrkdwn.js';
import { planMessage } from './apply-plan.js';
import {
  failureLine,
  hhmm,
  hosts,
  mention,
  plural,
  progressLine,
  stageDuration,
  stageLine,
  target,
} from './apply-text.js';
import { stopApplyButton } from './decision-buttons.js';

/** Failures listed in the status message; the rest are in the thread, one reply each. */
const MAX_FAILURES = 10;

const statusWord: Record<ApplyRecord['status'], string> = {
  planned: 'planned',
  confirmed: 'starting',
  running: 'running',
  passed: 'passed',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted',
  expired: 'expired',
};

const icon: Partial<Record<ApplyRecord['status'], string>> = {
  passed: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
  interrupted: ':warning:',
};

const results = (record: ApplyRecord) => record.stages.flatMap((stage) => stage.nodes);
const withStatus = (record: ApplyRecord, status: NodeResult['status']) =>
  results(record).filter((result) => result.status === status);

const elapsed = (record: ApplyRecord, now: number) => {
  if (record.startedAt === undefined) return '';
  const end = record.finishedAt ?? now;
  return record.finishedAt === undefined
    ? `${formatDuration(end - record.startedAt)} so far`
    : `took ${formatDuration(end - record.startedAt)}`;
};

/**
 * A confirmed apply's one message, edited as it runs: the progress line, failures, how it ended.
 * Values from outside the bot are escaped here; `note`, `detail` and a node's `error` are mrkdwn
 * the engine already escaped (see ApplyRecord).
 */
export const progressMessage = (record: ApplyRecord, now: number): Message => {
  const line = progressLine(record);
  const blocks: Block[] = [
    { kind: 'header', text: `Apply #${record.id}: ${esc(record.revision)} — ${statusWord[record.status]}` },
    { kind: 'section', text: `${icon[record.status] ?? ':arrows_counterclockwise:'} ${line}` },
    {
      kind: 'context',
      text: [
        `${target(record)} ${esc(record.subject)}`,
        `asked by ${mention(record.requestedBy)}`,
        record.confirmedBy
          ? `confirmed by ${mention(record.confirmedBy)} at ${hhmm(record.confirmedAt ?? 0)} UTC`
          : '',
        elapsed(record, now),
      ]
        .filter((part) => part !== '')
        .join(' · '),
    },
  ];
  const running = withStatus(record, 'running');
  if (running.length > 0)
    blocks.push({ kind: 'context', text: `applying now: ${hosts(running.map((r) => r.node))}` });
  const failed = withStatus(record, 'failed');
  if (failed.length > 0) {
    const lines = failed.slice(0, MAX_FAILURES).map((result) => `• ${failureLine(result)}`);
    if (failed.length > MAX_FAILURES)
      lines.push(`…and ${failed.length - MAX_FAILURES} more (each in the thread)`);
    blocks.push({
      kind: 'section',
      text: `:x: *Failed* (${failed.length}, marked dirty until an apply succeeds)\n${lines.join('\n')}`,
    });
  }
  const skipped = [
    ...record.skipped
      .filter((skip) => skip.why === 'locked')
      .map((skip) => `• *${esc(skip.node)}* ${skip.detail}`),
    ...withStatus(record, 'skipped').map((result) => `• *${esc(result.node)}* ${result.error ?? 'skipped'}`),
  ];
  if (skipped.length > 0) blocks.push({ kind: 'section', text: `*Skipped*\n${skipped.join('\n')}` });
  const interrupted = withStatus(record, 'interrupted');
  if (interrupted.length > 0)
    blocks.push({
      kind: 'context',
      text: `interrupted while applying: ${hosts(interrupted.map((r) => r.node))}`,
    });
  if (record.note)
    blocks.push({ kind: 'section', text: `${icon[record.status] ?? ':information_source:'} ${record.note}` });
  if (record.status === 'running') {
    if (record.cancelledBy)
      blocks.push({
        kind: 'context',
        text: `cancel asked by ${mention(record.cancelledBy)}: stopping after the nodes applying now`,
      });
    else
      blocks.push({
        kind: 'actions',
        buttons: [stopApplyButton(record)],
      });
  }
  return { text: `${line} (${statusWord[record.status]})`, blocks };
};

const eventMessage = (record: ApplyRecord, event: ApplyEvent): Message => {
  let text: string;
  switch (event.kind) {
    case 'locked':
      text = `:lock: Skipped ${plural(event.skipped.length, 'locked node')}:\n${event.skipped.map((skip) => `• *${esc(skip.node)}* ${skip.detail}`).join('\n')}`;
      break;
    case 'failure':
      text = `:x: ${failureLine(event.result)}${event.result.outcome === 'unreachable' ? '' : `\n${esc(event.result.node)} is marked dirty until an apply succeeds.`}`;
      break;
    case 'stage': {
      const { stage } = event;
      const took = stageDuration(stage);
      const bad = stage.nodes.some((r) => r.status === 'failed') || stage.status === 'stopped';
      text = `${bad ? ':warning:' : ':white_check_mark:'} *${esc(stage.name)}* ${stage.status === 'stopped' ? 'stopped' : 'done'}: ${stageLine(stage)}${took ? ` in ${took}` : ''}`;
      const notRun = stage.nodes.filter((r) => r.status === 'not_run');
      if (notRun.length > 0)
        text += `\nnot run: ${hosts(notRun.map((r) => r.node))} (${notRun[0]?.error ?? 'stopped'})`;
      break;
    }
    case 'interrupted':
      text = `:warning: Interrupted: ${record.note ?? 'the bot stopped while this apply ran'}`;
      break;
  }
  return { text, blocks: [{ kind: 'section', text }] };
};

/** Posted to the channel when an apply ends: the outcome, counts and durations. */
const summaryMessage = (record: ApplyRecord): Message => {
  const all = results(record);
  const ok = all.filter((r) => r.status === 'ok').length;
  const failed = all.filter((r) => r.status === 'failed');
  const notRun = all.filter((r) => r.status === 'not_run').length;
  const skipped =
    record.skipped.filter((s) => s.why === 'locked').length +
    all.filter((r) => r.status === 'skipped').length;
  const stages = record.stages
    .map((stage) => {
      const took = stageDuration(stage);
      return `${stageLine(stage)}${took ? ` in ${took}` : ''}`;
    })
    .join(', ');
  const counts = [
    `${ok} of ${plural(all.length, 'node')} applied`,
    failed.length > 0 ? `${failed.length} failed (${hosts(failed.map((r) => r.node))})` : '',
    notRun > 0 ? `${notRun} not run` : '',
    skipped > 0 ? `${skipped} skipped (locked)` : '',
  ]
    .filter((part) => part !== '')
    .join(', ');
  const total =
    record.startedAt !== undefined && record.finishedAt !== undefined
      ? `; ${formatDuration(record.finishedAt - record.startedAt)} in all`
      : '';
  const text =
    `${icon[record.status] ?? ''} apply ${esc(record.revision)} #${record.id} ${statusWord[record.status]}: ${counts} — ${stages}${total}`.trim();
  const blocks: Block[] = [{ kind: 'section', text }];
  const by = record.confirmedBy ?? record.requestedBy;
  blocks.push({
    kind: 'context',
    text: `${target(record)} · confirmed by ${mention(by)}${record.note ? ` · ${record.note}` : ''}`,
  });
  return { text, blocks };
};

export const applyViews: ApplyViews = {
  status: (record, now) =>
    record.confirmedAt === undefined ? planMessage(record, now) : progressMessage(record, now),
  event: eventMessage,
  summary: summaryMessage,
};
