import { compressHosts } from '../../engine/delta/index.js';
import type { IgnoredEntry, PermadiffEntry } from '../../engine/permadiffs/ignored.js';
import type { NotScanned, PermadiffState, ScanSummary } from '../../engine/permadiffs/service.js';
import { leastOn, type PermadiffGroup } from '../../engine/permadiffs/state.js';
import type { Block, Message } from '../../engine/ports/index.js';
import type { PartOwnership } from '../../engine/review/records.js';
import { escapeText as esc, mention, mentionAll } from '../../engine/text/mrkdwn.js';

/** Lines of a diff shown per group; the rest is counted, never dropped without a word. */
const DIFF_LINES = 12;

export const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Literal text cut to `max` characters with a visible ellipsis (before escaping, so no entity is split). */
export const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** `Type[title]` as mrkdwn; a title longer than a chat line is cut visibly (the file has it whole). */
export const resourceName = (group: PermadiffGroup) =>
  esc(clip(`${group.resource.type}[${group.resource.title}]`, 300));

export const ownersText = (parts: readonly PartOwnership[]) => {
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
  if (known.length === 0) return 'unknown file';
  const shown = known.slice(0, 5).map((s) => `\`${esc(clip(s, 200))}\``);
  return known.length > 5 ? `${shown.join(', ')} and ${known.length - 5} more` : shown.join(', ');
};

/** At most `lines` lines of at most `width` characters; what is left out is counted. */
export const shortDiff = (diff: string, lines = DIFF_LINES, width = Number.POSITIVE_INFINITY): string => {
  const all = diff.replace(/\n$/, '').split('\n');
  const cut = all.map((line) => (line.length > width ? `${line.slice(0, width)}…` : line));
  const clipped = cut.some((line, i) => line !== all[i]);
  const shown = cut.length <= lines ? cut : [...cut.slice(0, lines), `… ${cut.length - lines} more lines`];
  return clipped ? [...shown, '(long lines shortened)'].join('\n') : shown.join('\n');
};

/** The literal detail shown under a group: its diff, or its property changes. */
export const detailOf = (group: PermadiffGroup): string =>
  group.resource.diff ??
  group.resource.events.map((e) => `${e.property}: ${e.from ?? 'absent'} → ${e.to ?? 'absent'}`).join('\n');

export interface GroupView {
  /** Compressed host names longer than this are cut (the rest counted). */
  maxHosts?: number;
  /** How host lists are folded: `compressHosts`, or one digest's `HostLists`. */
  fold?: HostLists;
  diffLines?: number;
  diffWidth?: number;
}

/** Folds a node list into host entries (`compressHosts`); what it returns is not to be changed. */
export type HostLists = (nodes: readonly string[]) => readonly string[];

const lists = new WeakMap<object, HostLists>();

/**
 * `compressHosts` for everything drawn of one digest (its message, file and owners' messages):
 * the groups on every clean node share one node list, and each distinct list is folded once.
 * Kept with the digest object, so a new digest folds its lists anew.
 */
export const hostListsOf = (digest: object): HostLists => {
  let fold = lists.get(digest);
  if (fold === undefined) {
    const folded = new Map<string, readonly string[]>();
    fold = (nodes) => {
      if (nodes.length < 2) return nodes;
      // Node names never hold a NUL, so equal keys are equal lists.
      const key = nodes.join('\u0000');
      let entries = folded.get(key);
      if (entries === undefined) {
        entries = compressHosts(nodes);
        folded.set(key, entries);
      }
      return entries;
    };
    lists.set(digest, fold);
  }
  return fold;
};

/** Compressed host names, at most `max` characters of them; the rest counted (`cut` says whether any were). */
export const hostsPart = (
  nodes: readonly string[],
  max = Number.POSITIVE_INFINITY,
  fold: HostLists = compressHosts,
): { text: string; cut: boolean } => {
  const entries = fold(nodes);
  const shown: string[] = [];
  let length = 0;
  for (const entry of entries) {
    if (shown.length > 0 && length + entry.length > max) break;
    shown.push(entry);
    length += entry.length + 2;
  }
  const rest = entries.length - shown.length;
  return {
    text: esc(shown.join(', ')) + (rest > 0 ? ` and ${rest} more host group${rest === 1 ? '' : 's'}` : ''),
    cut: rest > 0,
  };
};

export const hostsText = (nodes: readonly string[], max?: number): string => hostsPart(nodes, max).text;

/** One group on `nodes`: what, where, whose, since when; the diff (host names shown as {{node}}) below it. */
export const groupBlocks = (
  group: PermadiffGroup,
  nodes: readonly string[],
  view: GroupView = {},
): { text: string; blocks: Block[]; shortened: boolean } => {
  const { streak, firstSeen } = leastOn(group, nodes);
  const hosts = hostsPart(nodes, view.maxHosts, view.fold);
  const head =
    `• *${resourceName(group)}* on ${hosts.text}` +
    `${group.resource.refresh ? ' (runs a refresh)' : ''}\n` +
    `  owners: ${ownersText(group.owners)} · ${sourcesText(group)} · first seen ${when(firstSeen)} · ` +
    `${streak} scans in a row`;
  const full = detailOf(group);
  const detail = full ? shortDiff(full, view.diffLines, view.diffWidth) : '';
  const blocks: Block[] = [{ kind: 'section', text: head }];
  if (detail) blocks.push({ kind: 'code', text: detail });
  const name = `${group.resource.type}[${group.resource.title}]`;
  const shortened = hosts.cut || detail !== full || clip(name, 300) !== name || group.sources.length > 5;
  return { text: detail ? `${head}\n\`\`\`${esc(detail)}\`\`\`` : head, blocks, shortened };
};

/** One collapsed line for an ignored part: resource, where, who, why, until. */
export const ignoredLine = (entry: IgnoredEntry): string => {
  const { rule, by, expiresAt } = entry.ignore;
  const who = by === undefined ? 'in heckler.yml' : `by ${mention(by)}`;
  const until = expiresAt === undefined ? '' : ` until ${when(expiresAt)}`;
  const id = rule.id === undefined ? '' : ` (\`${esc(rule.id)}\`)`;
  return `${resourceName(entry.group)} on ${hostsText(entry.nodes, 200)} — ignored ${who}${until}${id}: ${esc(clip(rule.purpose, 300))}`;
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

export const scanLine = (scan: ScanSummary) =>
  `Last scan ${when(scan.at)}: ${scan.scanned.length} node${scan.scanned.length === 1 ? '' : 's'} scanned.`;

/** `/heckler permadiffs`: the standing set (already filtered), ignored parts collapsed, what could not be scanned. */
export const permadiffsMessage = (
  state: PermadiffState,
  entries: readonly PermadiffEntry[],
  ignored: readonly IgnoredEntry[],
  filtered: string,
): Message => {
  const { lastScan, minRuns } = state;
  if (lastScan === undefined) {
    const text =
      'No permadiff scan has run yet: an admin can run `/heckler scan` now, or wait for the schedule.';
    return { text, blocks: [{ kind: 'section', text }] };
  }
  const parts = entries.map((entry) => groupBlocks(entry.group, entry.nodes));
  const title =
    entries.length === 0
      ? `No permadiffs${filtered}.`
      : `*${entries.length} permadiff${entries.length === 1 ? '' : 's'}*${filtered} (seen in ${minRuns}+ scans in a row on clean nodes):`;
  const ignoredText =
    ignored.length === 0
      ? ''
      : `${ignored.length} ignored (collapsed):\n${ignored.map((entry) => `• ${ignoredLine(entry)}`).join('\n')}`;
  const footer = [scanLine(lastScan), notScannedText(lastScan.notScanned)].filter(Boolean).join('\n');
  return {
    text: [title, ...parts.map((p) => p.text), ignoredText, footer].filter(Boolean).join('\n'),
    blocks: [
      { kind: 'section', text: title },
      ...parts.flatMap((p) => p.blocks),
      ...(ignoredText ? [{ kind: 'context' as const, text: ignoredText }] : []),
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
