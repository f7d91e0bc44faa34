import { checkWatchUrl } from '../engine/builds/watch-url.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { buildsOf, repoArg } from './builds-args.js';
import type { CommandSpec } from './types.js';

/** Slack may send a typed link as <https://…> or <https://…|label>. */
const unwrap = (url: string): string => url.replace(/^<([^|>]+)(?:\|[^>]*)?>$/, '$1');

export const watch: CommandSpec = {
  name: 'watch',
  summary: 'Watch a repository: build new commits on its branches',
  description:
    'Clones URL (https://, ssh:// or user@host:path, under builds.allowedUrls) and records its branch tips; from then ' +
    'on new commits on the branches its ocelot.yml allows are built. Nothing is built for the commits already there. ' +
    'Local paths and file:// URLs are watched only from heckler.yml (builds.repos).',
  args: [
    repoArg,
    {
      name: 'URL',
      description: 'what git clones: a git URL under builds.allowedUrls',
      required: true,
      // Only transports worth having; never git's `ext::` / `fd::` helpers, which run commands.
      pattern:
        /^<?(?:(?:https?|ssh|git|file):\/\/[^\s<>|]+|\/[^\s<>|]*|[\w.-]+@[\w.-]+:[^\s<>|]+)(?:\|[^\s<>]*)?>?$/,
      // Paths and file:// pass the grammar so that the refusal can say who may watch them.
      patternHint: 'an https://, ssh:// or git:// URL, or user@host:path',
    },
  ],
  flags: [],
  role: 'builder',
  sideEffects: true,
  examples: [
    'watch infra/web https://github.com/infra/web.git',
    'watch tools/ci git@git.example.com:tools/ci.git',
  ],
  async run(ctx, call) {
    const url = unwrap(call.args.URL ?? '');
    const builds = buildsOf(ctx.services);
    // Git clones with the bot's own keys and network: only where an admin allowed (watch-url.ts).
    checkWatchUrl(url, ctx.services.config.builds.allowedUrls);
    const { repo, report } = await builds.watch(call.args.REPO ?? '', url, ctx.user);
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
