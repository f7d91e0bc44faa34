import type { Block, Message } from '../../engine/ports/index.js';
import type { RevisionRun } from '../../engine/runs/fleet-service.js';
import type { NodeRun } from '../../engine/runs/puppet-on-node.js';
import { formatDuration } from '../../engine/text/duration.js';
import { escapeText as esc, mention } from '../../engine/text/mrkdwn.js';
import { reportBlocks } from './puppet-report.js';

/** Counts over node runs, in the order reviewers care about. */
export const runCounts = (runs: readonly NodeRun[]) => {
  const counts = { changed: 0, unchanged: 0, failed: 0, unreachable: 0 };
  for (const run of runs) {
    if (!run.reached) counts[run.unreachable ? 'unreachable' : 'failed']++;
    else if (run.report.outcome === 'changes') counts.changed++;
    else if (run.report.outcome === 'unchanged') counts.unchanged++;
    else counts.failed++;
  }
  return counts;
};

/** A plain noop (or apply) of one revision, grouped by node: what each node says, nothing subtracted. */
export const revisionRunMessage = (result: RevisionRun, requestedBy: string): Message => {
  const { commit, mode, runs } = result;
  const counts = runCounts(runs);
  const verb = mode === 'noop' ? 'Noop' : 'Apply';
  const changedWord = mode === 'noop' ? 'would change' : 'changed';
  const summary = `${counts.changed} ${changedWord}, ${counts.unchanged} unchanged, ${counts.failed} failed, ${counts.unreachable} unreachable`;
  const title = `${verb} of ${esc(result.revision)} (${esc(commit.shortSha)})`;
  const blocks: Block[] = [
    { kind: 'header', text: title },
    { kind: 'section', text: `*${esc(commit.subject)}*\n${summary}` },
    {
      kind: 'context',
      text: `requested by ${mention(requestedBy)} · ${runs.length} node${runs.length === 1 ? '' : 's'} · took ${formatDuration(result.durationMs)}`,
    },
  ];
  const quiet: string[] = [];
  for (const run of runs) {
    if (!run.reached) {
      blocks.push(
        { kind: 'divider' },
        {
          kind: 'section',
          text: `*${esc(run.node)}* — ${run.unreachable ? 'unreachable' : 'failed'}: ${esc(run.error)}`,
        },
      );
    } else if (run.report.outcome === 'unchanged' && run.report.evalErrors.length === 0) {
      quiet.push(run.node);
    } else {
      blocks.push({ kind: 'divider' }, ...reportBlocks(run.report, mode));
    }
  }
  if (quiet.length > 0) blocks.push({ kind: 'context', text: `No changes on: ${esc(quiet.join(', '))}` });
  return { text: `${title}: ${summary}`, blocks };
};
