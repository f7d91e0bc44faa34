import { describeTarget } from '../../engine/builds/commits.js';
import type { Pipeline } from '../../engine/builds/pipeline.js';
import type { Validation } from '../../engine/builds/service.js';
import type { Block, Message } from '../../engine/ports/index.js';
import { formatDuration } from '../../engine/text/duration.js';
import { escapeText as esc } from '../../engine/text/mrkdwn.js';

/** Everything here comes from the repository's ocelot.yml: escaped. */
const describePipeline = (pipeline: Pipeline): string => {
  const stages = esc(pipeline.stages.map((stage) => stage.name).join(', '));
  const branches =
    pipeline.branches === 'ALL' ? 'every branch' : `branches ${esc(pipeline.branches.join(', '))}`;
  const timeout = pipeline.timeoutMs ? ` · timeout ${formatDuration(pipeline.timeoutMs)}` : '';
  return `*${esc(pipeline.name)}*: \`${esc(pipeline.image)}\` · ${pipeline.stages.length} stages (${stages}) · ${branches}${timeout}`;
};

/** What `/heckler validate` answers: every error with its key path, then the warnings. */
export const validationMessage = ({ repo, target, parse }: Validation): Message => {
  const where = `ocelot.yml of ${esc(`${repo} at ${describeTarget(target)}`)}`;
  const blocks: Block[] = [];
  let text: string;
  if (parse.ok) {
    text = `${where} is valid`;
    blocks.push({ kind: 'section', text: `:white_check_mark: ${text}` });
    blocks.push({ kind: 'section', text: parse.pipelines.map(describePipeline).join('\n') });
  } else {
    const count = parse.errors.length === 1 ? '1 problem' : `${parse.errors.length} problems`;
    text = `${where} is invalid (${count})`;
    blocks.push({ kind: 'section', text: `:x: ${text}:` });
    blocks.push({ kind: 'section', text: parse.errors.map((error) => `• ${esc(error)}`).join('\n') });
  }
  if (parse.warnings.length > 0) {
    blocks.push({
      kind: 'section',
      text: `*Warnings:*\n${parse.warnings.map((w) => `• ${esc(w)}`).join('\n')}`,
    });
  }
  return { text, blocks };
};
