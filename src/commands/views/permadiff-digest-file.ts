import { type ChangeSource, compressHosts } from '../../engine/delta/index.js';
import type { Digest, OwnerDigest, RememberedGroup } from '../../engine/permadiffs/digest.js';
import type { IgnoredEntry, PermadiffEntry } from '../../engine/permadiffs/ignored.js';
import { leastOn } from '../../engine/permadiffs/state.js';
import type { ChatFile } from '../../engine/ports/index.js';
import type { PartOwnership } from '../../engine/review/records.js';
import { formatDuration } from '../../engine/text/duration.js';
import { detailOf, type HostLists, hostListsOf, when } from './permadiffs.js';

/**
 * The attached file of a digest: plain text (a file is not mrkdwn), complete — every group with
 * every host, its owners, sources and whole diff — so nothing the message left out is lost.
 */

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const indent = (text: string, by = '    ') =>
  by + (text.endsWith('\n') ? text.slice(0, -1) : text).replaceAll('\n', `\n${by}`);

/** `when`, remembering the last time written: the groups of one scan mostly share their first-seen. */
let lastWhen: { at: number; text: string } | undefined;
const whenText = (at: number): string => {
  if (lastWhen?.at !== at) lastWhen = { at, text: when(at) };
  return lastWhen.text;
};

const ownersPlain = (parts: readonly PartOwnership[]) =>
  parts.length === 0
    ? 'nobody'
    : parts
        .map((part) => {
          const who = [...part.owners.map((id) => `@${id}`), ...part.unmapped.map((n) => `${n} (unmapped)`)];
          return `${who.join(', ') || 'nobody'}${parts.length > 1 ? ` for ${part.of}` : ''}`;
        })
        .join('; ');

/**
 * An entry's text, made once per digest: the digest's file and the owners' files list the same
 * groups, thousands of them in a large fleet. Kept with the digest object, so it goes with it.
 */
const written = new WeakMap<Digest, Map<PermadiffEntry, string>>();
const entryTexts = (digest: Digest): ((entry: PermadiffEntry) => string) => {
  let texts = written.get(digest);
  if (texts === undefined) {
    texts = new Map();
    written.set(digest, texts);
  }
  const known = texts;
  const fold = hostListsOf(digest);
  return (entry) => {
    let text = known.get(entry);
    if (text === undefined) {
      text = writeEntry(entry, fold);
      known.set(entry, text);
    }
    return text;
  };
};

const sourceText = ({ file, line }: ChangeSource) =>
  file === undefined ? '' : line === undefined ? file : `${file}:${line}`;

/** Distinct file:line of the group's sources; nearly every group has one. */
const sourcesPlain = (sources: readonly ChangeSource[]) =>
  (sources.length === 1
    ? sourceText(sources[0] as ChangeSource)
    : [...new Set(sources.map(sourceText))].filter(Boolean).join(', ')) || 'unknown file';

/**
 * Joined rather than concatenated: a join makes one flat string, which the file and the owners'
 * files then copy whole, where a concatenation would be a rope walked again by every join.
 */
const writeEntry = ({ group, nodes, name }: PermadiffEntry, fold: HostLists) => {
  const detail = detailOf(group);
  const lines = [
    `${name} on ${plural(nodes.length, 'node')}: ${fold(nodes).join(', ')}`,
    `  owners: ${ownersPlain(group.owners)}`,
    `  source: ${sourcesPlain(group.sources)}`,
    `  first seen ${whenText(leastOn(group, nodes).firstSeen)}${group.resource.refresh ? '; runs a refresh' : ''}`,
  ];
  if (detail) lines.push('  diff:', indent(detail));
  return lines.join('\n');
};

const ignoredText = ({ group, nodes, ignore }: IgnoredEntry) =>
  `${group.resource.type}[${group.resource.title}] on ${compressHosts(nodes).join(', ')} — ignored ` +
  `${ignore.by === undefined ? 'in heckler.yml' : `by @${ignore.by}`}` +
  `${ignore.expiresAt === undefined ? '' : ` until ${when(ignore.expiresAt)}`}` +
  `${ignore.rule.id === undefined ? '' : ` (${ignore.rule.id})`}: ${ignore.rule.purpose}`;

const resolvedText = (group: RememberedGroup) => `${group.name} (was on ${plural(group.nodes, 'node')})`;

const section = (title: string, lines: readonly string[]) =>
  lines.length === 0 ? [] : [`== ${title} ==`, '', lines.join('\n\n'), ''];

export const digestText = (digest: Digest): string => {
  const entryText = entryTexts(digest);
  return [
    `Permadiff digest, ${when(digest.at)}`,
    `${plural(digest.standing.length, 'permadiff')} on ${plural(digest.nodesAffected, 'node')}, ${digest.ignored.length} ignored.` +
      (digest.since === undefined
        ? ' The first digest.'
        : ` Since the last digest (${when(digest.since)}): ${digest.fresh.length} new, ${digest.resolved.length} resolved.`),
    digest.lastScan
      ? `Last scan ${when(digest.lastScan.at)}: ${plural(digest.lastScan.scanned.length, 'node')} scanned.`
      : 'No scan has run yet.',
    '',
    ...section('Standing permadiffs, biggest first', digest.standing.map(entryText)),
    ...(digest.since === undefined
      ? []
      : [
          ...section(
            'New since the last digest',
            digest.fresh.map((e) => e.name),
          ),
          ...section('Resolved since the last digest', digest.resolved.map(resolvedText)),
        ]),
    ...section('Ignored (collapsed)', digest.ignored.map(ignoredText)),
    ...section(
      'Could not scan (not counted, nothing resolved there)',
      digest.notScanned.map((n) => `${n.node}: ${n.reason}${n.detail === undefined ? '' : ` (${n.detail})`}`),
    ),
    ...section(
      'Stale node locks',
      digest.staleLocks.map(({ lock, why }) =>
        why.kind === 'apply not running'
          ? `${lock.node}: held by apply #${why.apply}, which is no longer running`
          : `${lock.node}: held by @${lock.owner} for ${formatDuration(why.forMs)} (${lock.reason})`,
      ),
    ),
    ...section(
      'Waiting for approval for more than a day',
      digest.waiting.map(
        (r) => `${r.shortSha} ${r.subject} (committed ${formatDuration(digest.at - r.committedAt)} ago)`,
      ),
    ),
  ].join('\n');
};

const stamp = (at: number) => new Date(at).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');

export const digestFile = (digest: Digest): ChatFile => ({
  filename: `permadiff-digest-${stamp(digest.at)}.txt`,
  title: `Permadiff digest ${when(digest.at)}: everything`,
  content: digestText(digest),
});

export const ownerFile = (owner: OwnerDigest, digest: Digest): ChatFile => {
  const entryText = entryTexts(digest);
  return {
    filename: `permadiffs-yours-${stamp(digest.at)}.txt`,
    title: `Your permadiffs ${when(digest.at)}`,
    content: [
      `Permadiffs for @${owner.user}, digest of ${when(digest.at)}`,
      '',
      ...section('Yours', owner.owned.map(entryText)),
      ...section('Owned by nobody (you are an admin)', owner.unowned.map(entryText)),
      ...section('Resolved', owner.resolved.map(resolvedText)),
    ].join('\n'),
  };
};
