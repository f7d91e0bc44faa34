import { escapeText } from '../engine/text/mrkdwn.js';
import { buildsOf, repoArg } from './builds-args.js';
import type { CommandSpec } from './types.js';

export const unwatch: CommandSpec = {
  name: 'unwatch',
  summary: 'Stop watching a repository added with watch',
  description:
    'New commits are no longer built; builds already queued still run. Repositories from heckler.yml cannot be ' +
    'unwatched here.',
  args: [repoArg],
  flags: [],
  role: 'builder',
  sideEffects: true,
  examples: ['unwatch infra/web'],
  async run(ctx, call) {
    const repo = await buildsOf(ctx.services).unwatch(call.args.REPO ?? '');
    const text = `stopped watching ${escapeText(repo.name)}; its past builds stay listed`;
    await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
  },
};
