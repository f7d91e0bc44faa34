import { mention } from '../engine/text/mrkdwn.js';
import { buildsOf } from './builds-args.js';
import type { CommandSpec } from './types.js';
import { buildTitle, statusWord } from './views/build-progress.js';

export const kill: CommandSpec = {
  name: 'kill',
  summary: 'Stop a running build now, or take a queued one off the queue',
  description:
    'By build number, or by commit SHA (every queued or running build of it). A running build is cancelled at ' +
    'once (its container is killed) and the build message says who stopped it.',
  args: [
    {
      name: 'TARGET',
      description: 'a build number or a commit SHA',
      required: true,
      pattern: /^(?:\d{1,9}|[0-9a-fA-F]{4,40})$/,
      patternHint: 'a build number such as 812 or a SHA such as 3f9c2e1',
    },
  ],
  flags: [],
  role: 'builder',
  sideEffects: true,
  examples: ['kill 812', 'kill 3f9c2e1'],
  async run(ctx, call) {
    const target = call.args.TARGET ?? '';
    const found = await buildsOf(ctx.services).kill(target, ctx.user);
    const lines = found.map(({ build, stopped }) => {
      if (stopped && build.status === 'cancelled')
        return `:no_entry_sign: ${buildTitle(build)} cancelled by ${mention(ctx.user)}`;
      // A build may end on its own between the lookup and the kill.
      return `${buildTitle(build)} had already finished: ${statusWord(build.status)}`;
    });
    const text = lines.join('\n');
    await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
  },
};
