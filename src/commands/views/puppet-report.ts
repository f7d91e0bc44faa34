import type { Block } from '../../engine/ports/index.js';
import type { NormalizedReport, ResourceChange } from '../../engine/puppet/index.js';
import { escapeText as esc } from '../../engine/text/mrkdwn.js';

/** `path:line`, or '' when Puppet did not say where. */
const at = (file: string | undefined, line: number | undefined): string =>
  file ? esc(`${file}${line ? `:${line}` : ''}`) : '';

/**
 * `File[/data/motd]` at `modules/motd/manifests/init.pp:3`, its events, diff and refresh notice.
 * Everything in a report comes from the repository and the nodes: escaped, and the diff goes in a
 * code block, which holds raw text.
 */
export const resourceBlocks = (resource: ResourceChange): Block[] => {
  const where = resource.file ? ` · ${at(resource.file, resource.line)}` : '';
  const within = resource.defineType ? ` in \`${esc(resource.defineType)}\`` : '';
  const state = resource.failed ? ' :x: *failed*' : resource.skipped ? ' _(skipped)_' : '';
  const events = resource.events.map((e) =>
    esc(`${e.property}: ${e.from ?? 'absent'} → ${e.to ?? 'absent'}`),
  );
  const lines = [`\`${esc(`${resource.type}[${resource.title}]`)}\`${within}${where}${state}`];
  if (resource.refresh)
    lines.push(':arrows_counterclockwise: *would trigger a refresh* (a restart or an exec runs)');
  if (!resource.diff) lines.push(...events.map((e) => `• ${e}`));
  lines.push(...resource.logs.map((log) => `• ${esc(log)}`));
  const blocks: Block[] = [{ kind: 'section', text: lines.join('\n') }];
  if (resource.diff) blocks.push({ kind: 'code', text: resource.diff });
  return blocks;
};

const outcomeWords: Record<NormalizedReport['outcome'], string> = {
  changes: 'would change',
  unchanged: 'no changes',
  failed: 'failed',
  compile_error: 'does not compile',
  timed_out: 'timed out',
};

export const outcomeText = (report: NormalizedReport, mode: 'noop' | 'apply'): string =>
  mode === 'apply' && report.outcome === 'changes' ? 'changed' : outcomeWords[report.outcome];

/** Everything one node's report says, for the per-node view of a full noop or an apply. */
export const reportBlocks = (report: NormalizedReport, mode: 'noop' | 'apply'): Block[] => {
  const count = report.resources.length;
  const blocks: Block[] = [
    {
      kind: 'section',
      text: `*${esc(report.node)}* — ${outcomeText(report, mode)}${count > 0 ? ` (${count} resource${count === 1 ? '' : 's'})` : ''}`,
    },
  ];
  for (const error of report.evalErrors) {
    const where = error.file ? ` (${at(error.file, error.line)})` : '';
    blocks.push({ kind: 'section', text: `:x: ${esc(error.message)}${where}` });
  }
  if (report.problem) blocks.push({ kind: 'section', text: `:x: ${esc(report.problem)}` });
  for (const resource of report.resources) blocks.push(...resourceBlocks(resource));
  return blocks;
};
