import { buildsOf, repoArg, revArg } from './builds-args.js';
import type { CommandSpec } from './types.js';
import { validationMessage } from './views/build-validate.js';

export const validate: CommandSpec = {
  name: 'validate',
  summary: "Check a repository's ocelot.yml at a revision without building",
  description: 'Lists every error with its key path (such as `stages[1].script[0]`) and every warning.',
  args: [repoArg, revArg],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['validate infra/api', 'validate infra/api feature/x'],
  async run(ctx, call) {
    await ctx.respond(
      validationMessage(await buildsOf(ctx.services).validate(call.args.REPO ?? '', call.args.REV)),
    );
  },
};
