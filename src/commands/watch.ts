import { escapeText } from '../engine/text/mrkdwn.js';
import { buildsOf, repoArg } from './builds-args.js';
import type { CommandSpec } from './types.js';

/** Slack may send a typed link as <https://…> or <https://…|label>. */
const unwrap = (url: string): string => url.replace(/^<([^|>]+)(?:\|[^>]*)?>$/, '$1');

export const watch: CommandSpec = {
  name: 'watch',
  summary: 'Watch a repository: build new commits on its branches',
  description:
    'Clones URL (a path, file://, ssh:// or https:// URL git can reach) and records its branch tips; from then ' +
    'on new commits on the branches its ocelot.yml allows are built. Nothing is built for the commits already there.',
  args: [
    repoArg,
    {
      name: 'URL',
      description: 'what git clones: a path or a git URL',
      required: true,
      // Only transports worth having; never git's `ext::` / `fd::` helpers, which run commands.
      pattern:
        /^<?(?:(?:https?|ssh|git|file):\/\/[^\s<>|]+|\/[^\s<>|]*|[\w.-]+@[\w.-]+:[^\s<>|]+)(?:\|[^\s<>]*)?>?$/,
      patternHint: 'an absolute path, an https://, ssh://, git:// or file:// URL, or user@host:path',
    },
  ],
  flags: [],
  role: 'builder',
  sideEffects: true,
  examples: ['watch infra/web https://github.com/infra/web.git', 'watch tools/ci /srv/git/ci.git'],
  async run(ctx, call) {
    const { repo, report } = await buildsOf(ctx.services).watch(
      call.args.REPO ?? '',
      unwrap(call.args.URL ?? ''),
      ctx.user,
    );
    const text = `watching ${escapeText(`${repo.name} (${repo.url})`)}; new commits on its branches will be built`;
    const note = report.first ? 'current branch tips recorded; nothing built for them' : 'polled';
    await ctx.respond({
      text,
      blocks: [
        { kind: 'section', text: `:eyes: ${text}` },
        { kind: 'context', text: `${note} · \`/heckler build ${escapeText(repo.name)}\` builds now` },
      ],
    });
  },
};
