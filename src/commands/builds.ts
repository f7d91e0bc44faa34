import { buildsOf, repoArg } from './builds-args.js';
import type { CommandSpec } from './types.js';
import { buildListMessage } from './views/build-list.js';

export const builds: CommandSpec = {
  name: 'builds',
  summary: 'List recent builds, newest first',
  description:
    'The 20 newest builds (of REPO when given): id, repository, branch, SHA, status, duration, who.',
  args: [{ ...repoArg, required: false, description: 'only builds of this watched repository' }],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['builds', 'builds infra/api'],
  async run(ctx, call) {
    const repo = call.args.REPO;
    const found = await buildsOf(ctx.services).list({ ...(repo ? { repo } : {}), limit: 20 });
    await ctx.respond(buildListMessage(found, repo));
  },
};
