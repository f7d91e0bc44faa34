import { escapeText, mention } from '../engine/text/mrkdwn.js';
import type { CommandSpec } from './types.js';

export const whoami: CommandSpec = {
  name: 'whoami',
  summary: 'Show your user id and the roles you hold',
  args: [],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['whoami'],
  async run(ctx) {
    const name = ctx.services.config.users[ctx.user];
    const roles =
      ctx.roles.size === 0 ? 'none (you may run the read-only commands)' : [...ctx.roles].sort().join(', ');
    // From a terminal, the OS account behind the chat user is part of who you are (and of the audit).
    const from =
      ctx.origin.surface === 'terminal'
        ? `the terminal as OS user ${escapeText(ctx.origin.osUser)}`
        : undefined;
    // Names come from heckler.yml and the operating system: escaped like any other text.
    const text =
      `You are ${mention(ctx.user)} (id ${escapeText(`${ctx.user}${name ? `, ${name}` : ''}`)}). Roles: ${roles}.` +
      (from ? ` Acting from ${from}.` : '');
    await ctx.respond({
      text,
      blocks: [
        { kind: 'section', text: `You are ${mention(ctx.user)}` },
        {
          kind: 'fields',
          fields: [
            { label: 'User id', value: escapeText(ctx.user) },
            { label: 'Roles', value: roles },
            ...(from ? [{ label: 'Acting from', value: from }] : []),
          ],
        },
      ],
    });
  },
};
