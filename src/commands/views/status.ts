import type { FleetStatus, NodeStatusLine } from '../../engine/apply/fleet-status.js';
import { describeHolder } from '../../engine/locks/node-locks.js';
import type { Block, Clock, Message } from '../../engine/ports/index.js';
import { formatDuration } from '../../engine/text/duration.js';
import { escapeText as esc, mention } from '../../engine/text/mrkdwn.js';
import { hhmm, plural, revisionLabel } from './apply-text.js';

/** Node lines per section, so a big fleet stays within a section's size (the renderer moves the rest to the thread). */
const LINES_PER_SECTION = 15;

/** What a node runs, for the summary: its first tag (or branch), else the short SHA. */
const shortLabel = (line: NodeStatusLine): string =>
  line.applied ? (line.applied.names[0] ?? line.applied.revision.slice(0, 7)) : 'never applied';

const ago = (ms: number, now: number) => `${formatDuration(Math.max(0, now - ms))} ago`;

/** "3 nodes: 2 on v2, 1 on v1; 1 dirty; 1 locked" (mrkdwn: tag and branch names escaped). */
export const statusSummary = (status: FleetStatus): string => {
  const readable = status.nodes.filter((line) => line.unreadable === undefined);
  const byLabel = new Map<string, number>();
  for (const line of readable) byLabel.set(shortLabel(line), (byLabel.get(shortLabel(line)) ?? 0) + 1);
  const on = [...byLabel]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([label, n]) => (label === 'never applied' ? `${n} never applied` : `${n} on ${esc(label)}`));
  const parts = [`${plural(status.nodes.length, 'node')}: ${on.join(', ') || 'none readable'}`];
  const unreadable = status.nodes.length - readable.length;
  if (unreadable > 0) parts.push(`${unreadable} unreachable`);
  const dirty = readable.filter((line) => line.applied?.dirty).length;
  if (dirty > 0) parts.push(`${dirty} dirty`);
  const locked = status.nodes.filter((line) => line.lock).length;
  if (locked > 0) parts.push(`${locked} locked`);
  return parts.join('; ');
};

const nodeLine = (line: NodeStatusLine, clock: Clock): string => {
  const now = clock.now();
  const parts: string[] = [];
  if (line.unreadable !== undefined)
    parts.push(`:warning: could not read what it runs: ${esc(line.unreadable)}`);
  else if (!line.applied) parts.push('never applied by Heckler');
  else {
    const { applied } = line;
    parts.push(revisionLabel(applied.revision, applied.names));
    parts.push(
      `applied ${hhmm(applied.appliedAt)} UTC (${ago(applied.appliedAt, now)}) by ${mention(applied.by)}`,
    );
    parts.push(applied.dirty ? ':x: *dirty* (its last apply failed)' : 'clean');
  }
  parts.push(
    line.lastNoop
      ? `last noop ${ago(line.lastNoop.at, now)} (${esc(line.lastNoop.sha.slice(0, 7))})`
      : 'no noop recorded',
  );
  // describeHolder is mrkdwn: the holder mentioned, the reason escaped.
  if (line.lock) parts.push(`:lock: ${describeHolder(line.lock, clock)}`);
  return `• *${esc(line.node)}* ${parts.join(' · ')}`;
};

/** `/heckler status`: a fleet summary line on top, then one line per node. */
export const statusMessage = (status: FleetStatus, clock: Clock): Message => {
  const summary = statusSummary(status);
  const lines = status.nodes.map((line) => nodeLine(line, clock));
  const blocks: Block[] = [
    { kind: 'header', text: 'Fleet status' },
    { kind: 'section', text: summary },
  ];
  for (let at = 0; at < lines.length; at += LINES_PER_SECTION)
    blocks.push({ kind: 'section', text: lines.slice(at, at + LINES_PER_SECTION).join('\n') });
  return { text: summary, blocks };
};
