import { escapeText, mention } from '../engine/text/mrkdwn.js';
import { appliesOf, applyId, applyIdArg } from './apply.js';
import type { CommandSpec } from './types.js';
import { hhmm } from './views/apply-text.js';

export const confirm: CommandSpec = {
  name: 'confirm',
  summary: "Confirm an apply plan: lock its nodes and start the rollout (the plan's Confirm button)",
  description:
    'Only within the time limit (`apply.confirmTimeout`) and only for a plan that is not blocked. A second confirm ' +
    'is harmless. Nodes locked by someone else are skipped (or the apply is refused, per `apply.lockedNodes`); nodes ' +
    'held by another apply refuse it.',
  args: [applyIdArg],
  flags: [],
  role: 'applier',
  sideEffects: true,
  examples: ['confirm 4'],
  async run(ctx, call) {
    const id = applyId(call.args.ID);
    const { record, result } = await appliesOf(ctx.services).confirm(id, ctx.user, ctx.origin);
    const text =
      result === 'started'
        ? `confirmed: applying ${escapeText(record.revision)} to ${record.stages.reduce((n, stage) => n + stage.nodes.length, 0)} nodes; progress in the plan's message`
        : `apply #${id} was already confirmed by ${mention(record.confirmedBy ?? '?')} at ${hhmm(record.confirmedAt ?? 0)} UTC (${record.status})`;
    await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
  },
};
