import { compressHosts } from '../../engine/delta/index.js';
import type { NotScanned, PermadiffState, ScanSummary } from '../../engine/permadiffs/service.js';
import { type PermadiffGroup, permadiffNodes } from '../../engine/permadiffs/state.js';
import type { Block, Message } from '../../engine/ports/index.js';
import type { PartOwnership } from '../../engine/review/records.js';
import { escapeText as esc, mentionAll } from '../../engine/text/mrkdwn.js';

/** Lines of a diff shown per group; the rest is counted, never dropped without a word. */
const DIFF_LINES = 12;

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const ownersText = (parts: readonly PartOwnership[]) => {
  const named = parts.map((part) => {
    const who = [mentionAll(part.owners), ...part.unmapped.map((name) => `${esc(name)} (unmapped)`)]
      .filter(Boolean)
      .join(', ');
    return `${who || 'nobody'}${parts.length > 1 ? ` for ${esc(part.of)}` : ''}`;
  });
  return named.length > 0 ? named.join('; ') : 'nobody';
};

const sourcesText = (group: PermadiffGroup) => {
  const at = group.sources.map((s) =>
    s.file === undefined ? '' : `${s.file}${s.line === undefined ? '' : `:${s.line}`}`,
  );
  const known = [...new Set(at.filter(Boolean))];
  return known.length > 0 ? known.map((s) => `\`${esc(s)}\``).join(', ') : 'unknown file';
};

const shortDiff = (diff: string): string => {
  const lines = diff.replace(/\n$/, '').split('\n');
  if (lines.length <= DIFF_LINES) return lines.join('\n');
  return `${lines.slice(0, DIFF_LINES).join('\n')}\n… ${lines.length - DIFF_LINES} more lines`;
};

/** One group: what, where, whose, since when; the diff (host names shown as {{node}}) below it. */
const groupBlocks = (group: PermadiffGroup, minRuns: number): { text: string; blocks: Block[] } => {
  const nodes = permadiffNodes(group, minRuns);
  const streak = Math.min(...nodes.map((node) => group.nodes[node]?.streak ?? 0));
  const firstSeen = Math.min(...nodes.map((node) => group.nodes[node]?.firstSeen ?? group.firstSeen));
  const { type, title } = group.resource;
  const head =
    `• *${esc(`${type}[${title}]`)}* on ${esc(compressHosts(nodes).join(', '))}` +
    `${group.resource.refresh ? ' (runs a refresh)' : ''}\n` +
    `  owners: ${ownersText(group.owners)} · ${sourcesText(group)} · first seen ${when(firstSeen)} · ` +
    `${streak} scans in a row`;
  const events = group.resource.events.map(
    (e) => `${e.property}: ${e.from ?? 'absent'} → ${e.to ?? 'absent'}`,
  );
  const detail = group.resource.diff ? shortDiff(group.resource.diff) : events.join('\n');
  const blocks: Block[] = [{ kind: 'section', text: head }];
  if (detail) blocks.push({ kind: 'code', text: detail });
  return { text: detail ? `${head}\n\`\`\`${esc(detail)}\`\`\`` : head, blocks };
};

export const notScannedText = (notScanned: readonly NotScanned[]): string =>
  notScanned.length === 0
    ? ''
    : `Could not scan ${notScanned.length} node${notScanned.length === 1 ? '' : 's'} (not counted, nothing resolved there): ` +
      notScanned
        .map(
          (n) =>
            `${esc(n.node)} (${n.reason}${n.detail === undefined ? '' : `: ${esc(n.detail.slice(0, 200))}`})`,
        )
        .join('; ');

const scanLine = (scan: ScanSummary) =>
  `Last scan ${when(scan.at)}: ${scan.scanned.length} node${scan.scanned.length === 1 ? '' : 's'} scanned.`;

/** `/heckler permadiffs`: the standing set (already filtered), what was filtered, what could not be scanned. */
export const permadiffsMessage = (
  state: PermadiffState,
  groups: readonly PermadiffGroup[],
  filtered: string,
): Message => {
  const { lastScan, minRuns } = state;
  if (lastScan === undefined) {
    const text =
      'No permadiff scan has run yet: an admin can run `/heckler scan` now, or wait for the schedule.';
    return { text, blocks: [{ kind: 'section', text }] };
  }
  const parts = groups.map((group) => groupBlocks(group, minRuns));
  const title =
    groups.length === 0
      ? `No permadiffs${filtered}.`
      : `*${groups.length} permadiff${groups.length === 1 ? '' : 's'}*${filtered} (seen in ${minRuns}+ scans in a row on clean nodes):`;
  const footer = [scanLine(lastScan), notScannedText(lastScan.notScanned)].filter(Boolean).join('\n');
  return {
    text: [title, ...parts.map((p) => p.text), footer].join('\n'),
    blocks: [
      { kind: 'section', text: title },
      ...parts.flatMap((p) => p.blocks),
      { kind: 'context', text: footer },
    ],
  };
};

/** `/heckler scan`: what the scan just did. */
export const scanDoneMessage = (scan: ScanSummary, standing: number): Message => {
  const text = [
    `Permadiff scan done in ${Math.round((scan.at - scan.startedAt) / 1000)} s: ${scan.scanned.length} node${scan.scanned.length === 1 ? '' : 's'} scanned, ${standing} permadiff${standing === 1 ? '' : 's'} standing (\`/heckler permadiffs\`).`,
    notScannedText(scan.notScanned),
  ]
    .filter(Boolean)
    .join('\n');
  return { text, blocks: [{ kind: 'section', text }] };
};
