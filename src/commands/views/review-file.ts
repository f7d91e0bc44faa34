import { type ChangeGroup, compressHosts, groupsNeedingApproval } from '../../engine/delta/index.js';
import type { ChatFile } from '../../engine/ports/index.js';
import type { ResourceChange } from '../../engine/puppet/index.js';
import type { PartOwnership, ReviewRecord } from '../../engine/review/records.js';

/**
 * The "Full diff" file of a review too large for one Slack message: plain text (a file is not
 * mrkdwn, so nothing in it can mention or format), complete — every change with every host, its
 * owners, sources, events and whole diff — so nothing the message leaves out is lost. It holds
 * only what the noop found, not the review's status: a decision re-renders the message but leaves
 * the file's content, and so the attached file, as it was.
 */

/** A change needing approval, with what the review knows of its owners. */
export interface ReviewGroup {
  group: ChangeGroup;
  /** Its place among `groupsNeedingApproval`: owners are stored by it. */
  index: number;
  parts: PartOwnership[];
}

/** The changes needing approval, largest host set first (ties keep their name order). */
export const reviewGroups = (record: ReviewRecord): ReviewGroup[] =>
  groupsNeedingApproval(record.grouped)
    .map((group, index) => ({
      group,
      index,
      parts:
        record.partOwners?.[index] ??
        (record.groupOwners[index] ? [{ ...record.groupOwners[index], of: 'this change' }] : []),
    }))
    .sort((a, b) => b.group.nodes.length - a.group.nodes.length || a.index - b.index);

/**
 * Text as a file shows it: control characters (a binary file's diff, terminal escapes) and lone
 * surrogates written as visible escapes, so the file is valid UTF-8 that shows every byte's worth.
 */
export const plainText = (text: string): string =>
  text
    .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16)}`,
    );

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const hosts = (nodes: readonly string[]) => compressHosts(nodes).join(', ');
const indent = (text: string) => `    ${text.replace(/\n$/, '').replaceAll('\n', '\n    ')}`;
const at = (file?: string, line?: number) => (file ? `${file}${line ? `:${line}` : ''}` : 'unknown file');

const ownersText = (parts: readonly PartOwnership[]) =>
  parts
    .map((part) => {
      const who = [...part.owners.map((id) => `@${id}`), ...part.unmapped.map((n) => `${n} (unmapped)`)];
      return `${who.join(', ') || 'nobody (an approver or admin decides)'}${parts.length > 1 ? ` for ${part.of}` : ''}`;
    })
    .join('; ') || 'none';

const changeText = (resource: ResourceChange): string[] => [
  ...(resource.defineType ? [`  in: ${resource.defineType}`] : []),
  ...(resource.failed ? ['  FAILED in the noop'] : resource.skipped ? ['  skipped'] : []),
  ...(resource.refresh ? ['  would trigger a refresh (a restart or an exec runs)'] : []),
  ...resource.events.map((e) => `  ${e.property}: ${e.from ?? 'absent'} -> ${e.to ?? 'absent'}`),
  ...resource.logs.map((log) => `  log: ${log}`),
  ...(resource.diff ? ['  diff:', indent(resource.diff)] : []),
];

const groupText = ({ group, parts }: ReviewGroup, n: number): string => {
  const { resource } = group;
  const sources =
    group.sources && group.sources.length > 1
      ? group.sources.map((s) => `  from ${at(s.file, s.line)} on ${hosts(s.nodes)}`)
      : [`  from ${at(resource.file, resource.line)}`];
  return [
    `== ${n}. ${resource.type}[${resource.title}] on ${plural(group.nodes.length, 'node')} ==`,
    `  hosts: ${hosts(group.nodes)}`,
    `  owners: ${ownersText(parts)}`,
    ...sources,
    ...changeText(resource),
  ].join('\n');
};

const section = (title: string, lines: readonly string[]) =>
  lines.length === 0 ? [] : [`== ${title} ==`, '', lines.join('\n\n'), ''];

/** The whole file's text (escaped as plain text by `plainText`). */
export const reviewFileText = (record: ReviewRecord): string => {
  const { grouped } = record;
  const groups = reviewGroups(record);
  const ignored = grouped.groups.filter((g) => g.ignored);
  const text = [
    `Full diff of ${record.sha} ${record.subject}`,
    `by ${[...record.authors.map((id) => `@${id}`), ...record.unmappedAuthors.map((n) => `${n} (not mapped)`)].join(', ') || 'unknown'}${record.committer ? `; committed by ${record.committer.person}` : ''}`,
    `${plural(groups.length, 'change')} needing approval on ${plural(grouped.counts.changed, 'node')}; delta ${record.deltaHash}`,
    'Largest host set first; hosts as the message writes them (web{01..03} is web01, web02, web03).',
    '',
    ...groups.flatMap((g, i) => [groupText(g, i + 1), '']),
    ...section(
      'Does not compile',
      grouped.evalErrorGroups.map((e) => `on ${hosts(e.nodes)}: ${e.message} (${at(e.file, e.line)})`),
    ),
    ...section(
      'Parent errors (nothing subtracted there)',
      grouped.parentErrorGroups.map(
        (p) => `parent ${p.revision} ${p.kind} on ${hosts(p.nodes)}: ${p.message}`,
      ),
    ),
    ...section(
      'Not reviewed',
      grouped.failures.map((f) => `${f.kind} on ${hosts(f.nodes)}: ${f.error}`),
    ),
    ...section(
      'Not in lineage (not nooped)',
      grouped.notInLineage.length > 0 ? [hosts(grouped.notInLineage)] : [],
    ),
    ...section(
      'Ignored (no approval needed)',
      ignored.map(
        (g) => `${g.resource.type}[${g.resource.title}] on ${hosts(g.nodes)}: ${g.ignored?.purpose ?? ''}`,
      ),
    ),
  ].join('\n');
  return plainText(text);
};

/** The review's "Full diff" file; its name changes with the delta, its content only with the noop. */
export const reviewFile = (record: ReviewRecord): ChatFile => ({
  filename: `review-${record.shortSha}-${record.deltaHash.slice(0, 8)}.txt`,
  title: `Full diff of ${record.shortSha}`,
  content: reviewFileText(record),
});
