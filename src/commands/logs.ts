import { escapeText, mention } from '../engine/text/mrkdwn.js';
import { buildIdArg, buildsOf } from './builds-args.js';
import type { CommandSpec } from './types.js';
import { buildLogFile } from './views/build-list.js';

export const logs: CommandSpec = {
  name: 'logs',
  summary: "Show a build's log, or one stage's",
  description:
    'Shared as a file in the channel (Slack uploads it; the terminal prints it): every stage that ran, each under ' +
    'a `== stage (status) ==` line, secrets masked. A second stage of the same name is `name#2`.',
  args: [buildIdArg],
  flags: [
    {
      name: 'stage',
      value: 'STAGE',
      description: 'only this stage (its name, or name#2 for a repeated one)',
      pattern: /^[\w .#/-]{1,100}$/,
      patternHint: 'a stage name such as test',
    },
  ],
  role: 'anyone',
  sideEffects: false,
  examples: ['logs 812', 'logs 812 --stage test'],
  async run(ctx, call) {
    const stage = typeof call.flags.stage === 'string' ? call.flags.stage : undefined;
    const { build, text } = await buildsOf(ctx.services).log(Number(call.args.ID), stage);
    const file = buildLogFile(build, text, stage);
    await ctx.services.chat.upload(ctx.channel, {
      ...file,
      comment: `${mention(ctx.user)} asked for ${escapeText(file.filename)}`,
    });
  },
};
