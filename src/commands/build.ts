import { describeTarget } from '../engine/builds/commits.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { buildsChannel, buildsOf, repoArg, revArg } from './builds-args.js';
import type { CommandSpec } from './types.js';

export const build: CommandSpec = {
  name: 'build',
  summary: 'Build a watched repository at a branch, tag or commit',
  description:
    'Queues one build per pipeline in ocelot.yml at REV (the default branch when REV is absent) that builds ' +
    'its branch. The build message, updated as stages finish, is posted to the builds channel with the stage ' +
    'results in its thread. An invalid ocelot.yml is reported here and nothing is built.',
  args: [repoArg, revArg],
  flags: [],
  role: 'builder',
  sideEffects: true,
  examples: ['build infra/api', 'build infra/api develop', 'build infra/api 3f9c2e1'],
  async run(ctx, call) {
    const queued = await buildsOf(ctx.services).build(call.args.REPO ?? '', call.args.REV, ctx.user);
    const [first] = queued;
    if (!first) return;
    const ids = queued
      .map((b) => `#${b.id}${b.pipeline === 'default' ? '' : ` (${escapeText(b.pipeline)})`}`)
      .join(', ');
    const channel = first.definition.notify.slack?.channel ?? buildsChannel(ctx.services);
    const text = `queued build ${ids} of ${escapeText(`${first.repo} ${describeTarget(first)}`)}; follow it in ${escapeText(channel)}`;
    await ctx.respond({ text, blocks: [{ kind: 'section', text: `:hourglass_flowing_sand: ${text}` }] });
  },
};
