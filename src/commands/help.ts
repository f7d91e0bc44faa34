import { HecklerError } from '../engine/errors.js';
import type { Block, Message } from '../engine/ports/index.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { didYouMean } from '../engine/text/suggest.js';
import { authorize, mayRun } from './authorize.js';
import type { CommandContext, CommandSpec } from './types.js';
import { SLASH, usageLine } from './usage.js';

/** Help is generated from the declarations, so it cannot drift from what the parser accepts. */
export const help: CommandSpec = {
  name: 'help',
  summary: 'List the commands you may run, or explain one',
  description:
    'Without an argument, lists every command your roles allow. With a command name, shows its usage, flags and examples.',
  args: [
    {
      name: 'command',
      description: 'the command to explain',
      pattern: /^[a-z-]{1,30}$/i,
      patternHint: 'a command name',
    },
  ],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['help', 'help whoami'],
  async run(ctx, call) {
    const name = call.args.command?.toLowerCase();
    await ctx.respond(name === undefined ? overview(ctx) : commandHelp(ctx, name));
  },
};

const overview = (ctx: CommandContext): Message => {
  const allowed = ctx.services.commands.all().filter((spec) => mayRun(spec, ctx.roles));
  const roles = ctx.roles.size === 0 ? 'no roles' : `roles: ${[...ctx.roles].sort().join(', ')}`;
  const lines = allowed.map(
    (spec) => `\`${usageLine(spec)}\`\n    ${spec.summary}${spec.sideEffects ? ' _(changes things)_' : ''}`,
  );
  return {
    text: `Commands you may run (${roles}):\n${lines.join('\n')}`,
    blocks: [
      { kind: 'header', text: 'Heckler commands' },
      { kind: 'section', text: `Commands you may run (${roles}):` },
      { kind: 'section', text: lines.join('\n') },
      { kind: 'context', text: `\`${SLASH} help COMMAND\` shows details and examples.` },
      // Slack takes at most 25 buttons in one actions block: one block per 25 commands.
      ...Array.from(
        { length: Math.ceil(allowed.length / 25) },
        (_, i): Block => ({
          kind: 'actions',
          buttons: allowed
            .slice(i * 25, i * 25 + 25)
            .map((spec) => ({ label: spec.name, command: `help ${spec.name}` })),
        }),
      ),
    ],
  };
};

const commandHelp = (ctx: CommandContext, name: string): Message => {
  const spec = ctx.services.commands.get(name);
  if (!spec) {
    const names = ctx.services.commands
      .all()
      .filter((s) => mayRun(s, ctx.roles))
      .map((s) => s.name);
    throw new HecklerError(
      'UNKNOWN_COMMAND',
      escapeText(`there is no command '${name}'${didYouMean(name, names)}`),
      {
        hint: `\`${SLASH} help\` lists the commands you may run`,
      },
    );
  }
  authorize(spec, { name, args: {}, flags: {} }, ctx.roles, ctx.services.config);
  const blocks: Block[] = [
    { kind: 'header', text: `${SLASH} ${spec.name}` },
    { kind: 'section', text: `${spec.summary}${spec.description ? `\n${spec.description}` : ''}` },
    { kind: 'code', text: usageLine(spec) },
  ];
  const details = [
    ...spec.args.map((arg) => `• \`${arg.name}\`${arg.required ? '' : ' (optional)'}: ${arg.description}`),
    ...spec.flags.map(
      (flag) =>
        `• \`--${flag.name}${flag.value ? ` ${flag.value}` : ''}\`: ${flag.description}${flag.role ? ` _(${flag.role} only)_` : ''}`,
    ),
  ];
  if (details.length > 0) blocks.push({ kind: 'section', text: details.join('\n') });
  blocks.push({
    kind: 'section',
    text: `*Examples*\n${spec.examples.map((e) => `\`${SLASH} ${e}\``).join('\n')}`,
  });
  const access = spec.role === 'anyone' ? 'Anyone may run it.' : `Needs the ${spec.role} role.`;
  blocks.push({
    kind: 'context',
    text: `${access} ${spec.sideEffects ? 'Changes things.' : 'Read-only.'}`,
  });
  return { text: `${usageLine(spec)}: ${spec.summary}`, blocks };
};
