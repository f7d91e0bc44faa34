import { escapeText, mention } from '../engine/text/mrkdwn.js';
import { ignoresOf, resourceText, scopeText } from './ignore-view.js';
import type { CommandSpec } from './types.js';

export const unignore: CommandSpec = {
  name: 'unignore',
  summary: 'Remove an ignore made with `ignore` (its author, approvers, admins)',
  description:
    'The resource needs approval in reviews again; reviews are recomputed. The removal is in `/heckler audit`.',
  args: [
    {
      name: 'ID',
      description: 'the id `/heckler ignores` lists',
      required: true,
      pattern: /^[0-9a-f]{6}$/,
      patternHint: 'an ignore id such as 3f9c2e (see `/heckler ignores`)',
    },
  ],
  flags: [],
  // Its author may, even without a role now; the service checks.
  role: 'anyone',
  sideEffects: true,
  examples: ['unignore 3f9c2e'],
  async run(ctx, call) {
    const privileged = ctx.roles.has('approver') || ctx.roles.has('admin');
    const removed = await ignoresOf(ctx.services).remove(
      call.args.ID ?? '',
      ctx.user,
      privileged,
      ctx.origin,
    );
    const text = `:loud_sound: ${mention(ctx.user)} removed ignore \`${removed.id}\` of ${resourceText(removed)} ${scopeText(removed)} (${escapeText(removed.reason)}): reviews need approval for it again.`;
    await ctx.services.chat.post(ctx.channel, { text, blocks: [{ kind: 'section', text }] });
  },
};
