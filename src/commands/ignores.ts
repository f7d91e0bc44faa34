import { formatDuration } from '../engine/text/duration.js';
import { escapeText, mention } from '../engine/text/mrkdwn.js';
import { ignoresOf, resourceText, scopeText, when } from './ignore-view.js';
import type { CommandSpec } from './types.js';

export const ignores: CommandSpec = {
  name: 'ignores',
  summary: 'List active ignores: what, where, who, when, why and until when',
  args: [],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['ignores'],
  async run(ctx) {
    const now = ctx.services.clock.now();
    const active = await ignoresOf(ctx.services).active();
    const lines = active.map(
      (i) =>
        `• \`${i.id}\` ${resourceText(i)} ${scopeText(i)} · by ${mention(i.by)} at ${when(i.at)} · expires ${when(i.expiresAt)} (in ${formatDuration(Math.max(0, i.expiresAt - now))}) · ${escapeText(i.reason)}`,
    );
    const text =
      active.length === 0
        ? 'No resource is ignored from chat (rules in heckler.yml `approvals.ignore` still apply).'
        : `${active.length} ignore${active.length === 1 ? '' : 's'}, oldest first:\n${lines.join('\n')}`;
    await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
  },
};
