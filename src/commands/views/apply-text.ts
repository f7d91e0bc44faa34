import { revisionText } from '../../engine/apply/plan.js';
import type { ApplyRecord, NodeResult, StageRecord } from '../../engine/apply/records.js';
import { compressHosts } from '../../engine/delta/index.js';
import type { Selector } from '../../engine/fleet/inventory.js';
import { formatDuration } from '../../engine/text/duration.js';

/** Small pieces of apply wording shared by the plan, the progress message and the summary. */

export const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
export const hosts = (nodes: readonly string[]) => compressHosts(nodes).join(', ');
export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
export const mention = (id: string) => (/^[A-Z0-9_]{2,}$/.test(id) ? `<@${id}>` : id);
export const mentions = (ids: readonly string[]) => ids.map(mention).join(', ');

/** `v2 (1a2b3c4)`: the revision as typed plus its short SHA. */
export const target = (record: ApplyRecord) =>
  record.names.includes(record.revision) || record.revision === record.shortSha
    ? revisionText(record.sha, [record.revision])
    : `${record.revision} (${record.shortSha})`;

export const selectorText = (selector: Selector) =>
  'nodes' in selector
    ? `--nodes ${selector.nodes.join(',')}`
    : selector.set === 'all'
      ? 'all nodes'
      : `--set ${selector.set}`;

const count = (stage: StageRecord, status: NodeResult['status']) =>
  stage.nodes.filter((result) => result.status === status).length;

/** `canaries 1/1 ✓` · `all 37/120 ✓ 2 ✗` · `all not run`. */
export const stageLine = (stage: StageRecord): string => {
  if (stage.status === 'not_run') return `${stage.name} not run`;
  const failed = count(stage, 'failed');
  const skipped = count(stage, 'skipped');
  const interrupted = count(stage, 'interrupted');
  let line = `${stage.name} ${count(stage, 'ok')}/${stage.nodes.length} ✓`;
  if (failed > 0) line += ` ${failed} ✗`;
  if (skipped > 0) line += ` ${skipped} skipped`;
  if (interrupted > 0) line += ` ${interrupted} interrupted`;
  return line;
};

/** "apply v2.1 #7 — canaries 1/1 ✓, all 37/120 ✓ 2 ✗": the line people watch. */
export const progressLine = (record: ApplyRecord): string =>
  `apply ${record.revision} #${record.id} — ${record.stages.map(stageLine).join(', ') || 'no stages'}`;

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

/** A failure in one line: node, what happened, why. */
export const failureLine = (result: NodeResult): string =>
  `*${result.node}* ${outcomeWord(result)}${result.durationMs !== undefined ? ` after ${formatDuration(result.durationMs)}` : ''}: ${result.error ?? 'no details'}`;
