import type { ApplyRecord, NodeResult, StageRecord } from '../../engine/apply/records.js';
import { compressHosts } from '../../engine/delta/index.js';
import type { Selector } from '../../engine/fleet/inventory.js';
import { formatDuration } from '../../engine/text/duration.js';
import { escapeText as esc, mention, mentionAll } from '../../engine/text/mrkdwn.js';

/**
 * Small pieces of apply wording shared by the plan, the progress message and the summary. Each
 * returns mrkdwn with every value from outside the bot (revisions, tag and branch names, node and
 * set names, errors) escaped, so callers interpolate them as they are.
 */

export const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
export const hosts = (nodes: readonly string[]) => esc(compressHosts(nodes).join(', '));
export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
/** The shared helpers, under the names the apply views have always used. */
export { mention };
export const mentions = mentionAll;

/** `v2.1, main (3333333)`: tags and branches at a commit, then its short SHA. */
export const revisionLabel = (sha: string, names: readonly string[] = []): string =>
  esc(names.length > 0 ? `${names.join(', ')} (${sha.slice(0, 7)})` : sha.slice(0, 7));

/** `v2 (1a2b3c4)`: the revision as typed plus its short SHA. */
export const target = (record: ApplyRecord) =>
  record.names.includes(record.revision) || record.revision === record.shortSha
    ? revisionLabel(record.sha, [record.revision])
    : esc(`${record.revision} (${record.shortSha})`);

export const selectorText = (selector: Selector) =>
  esc(
    'nodes' in selector
      ? `--nodes ${selector.nodes.join(',')}`
      : selector.set === 'all'
        ? 'all nodes'
        : `--set ${selector.set}`,
  );

const count = (stage: StageRecord, status: NodeResult['status']) =>
  stage.nodes.filter((result) => result.status === status).length;

/** `canaries 1/1 ✓` · `all 37/120 ✓ 2 ✗` · `all not run`. */
export const stageLine = (stage: StageRecord): string => {
  if (stage.status === 'not_run') return `${esc(stage.name)} not run`;
  const failed = count(stage, 'failed');
  const skipped = count(stage, 'skipped');
  const interrupted = count(stage, 'interrupted');
  let line = `${esc(stage.name)} ${count(stage, 'ok')}/${stage.nodes.length} ✓`;
  if (failed > 0) line += ` ${failed} ✗`;
  if (skipped > 0) line += ` ${skipped} skipped`;
  if (interrupted > 0) line += ` ${interrupted} interrupted`;
  return line;
};

/** "apply v2.1 #7 — canaries 1/1 ✓, all 37/120 ✓ 2 ✗": the line people watch. */
export const progressLine = (record: ApplyRecord): string =>
  `apply ${esc(record.revision)} #${record.id} — ${record.stages.map(stageLine).join(', ') || 'no stages'}`;

export const stageDuration = (stage: StageRecord) =>
  stage.startedAt !== undefined && stage.finishedAt !== undefined
    ? formatDuration(stage.finishedAt - stage.startedAt)
    : undefined;

export const outcomeWord = (result: NodeResult): string => {
  switch (result.outcome) {
    case 'compile_error':
      return 'does not compile';
    case 'timed_out':
      return 'timed out';
    case 'unreachable':
      return 'unreachable';
    default:
      return 'failed';
  }
};

/** A failure in one line: node, what happened, why (`error` is mrkdwn already, see NodeResult). */
export const failureLine = (result: NodeResult): string =>
  `*${esc(result.node)}* ${outcomeWord(result)}${result.durationMs !== undefined ? ` after ${formatDuration(result.durationMs)}` : ''}: ${result.error ?? 'no details'}`;
