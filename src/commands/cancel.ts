import { appliesOf, applyId, applyIdArg } from './apply.js';
import type { CommandSpec } from './types.js';
import { hosts } from './views/apply-text.js';

export const cancel: CommandSpec = {
  name: 'cancel',
  summary: 'Drop an apply plan, or stop a running apply between nodes (its requester or an admin)',
  description:
    'A running apply finishes the nodes it is applying now and starts no other; the rest are reported as not run ' +
    'and their locks released.',
  args: [applyIdArg],
  flags: [],
  // Who asked for the apply decides (or an admin), checked by the engine.
  role: 'applier',
  sideEffects: true,
  examples: ['cancel 4'],
  async run(ctx, call) {
    const id = applyId(call.args.ID);
    const { record, result } = await appliesOf(ctx.services).cancel(id, ctx.user, ctx.roles.has('admin'));
    const running = record.stages.flatMap((stage) => stage.nodes).filter((node) => node.status === 'running');
    const text =
      result === 'dropped'
        ? `plan #${id} dropped`
        : result === 'stopping'
          ? `stopping apply #${id}${running.length > 0 ? ` after the nodes applying now (${hosts(running.map((node) => node.node))})` : ''}`
          : `apply #${id} is already over: ${record.status}`;
    await ctx.respond({ text, blocks: [{ kind: 'context', text }] });
  },
};
