import { HecklerError } from '../engine/errors.js';
import type { CommandSpec } from './types.js';

/** The App Home dashboard as a command, so it is the same in the terminal and in any channel. */
export const home: CommandSpec = {
  name: 'home',
  summary: 'Your dashboard: commits waiting for you, applies, builds, your locks, the fleet, your permadiffs',
  description:
    'What the App Home tab shows you, answered privately: the commits waiting for your approval (with Approve / Deny), applies and builds running, the locks you hold, the fleet by revision, the permadiffs you own and your recent decisions. Each list shows its first few and names the command that lists the rest.',
  args: [],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['home'],
  async run(ctx) {
    const service = ctx.services.home;
    if (!service)
      throw new HecklerError('USAGE', 'this bot has no dashboard', { hint: 'run `/heckler help`' });
    await ctx.respond(await service.opened(ctx.user));
  },
};
