import { reviewsOf } from './review-args.js';
import type { CommandSpec } from './types.js';
import { countsLine } from './views/review.js';

export const pending: CommandSpec = {
  name: 'pending',
  summary: 'Commits waiting for approval, oldest first, with their owners',
  args: [],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['pending'],
  async run(ctx) {
    const waiting = await reviewsOf(ctx.services).pending();
    const lines = waiting.map((record) => {
      const owners = [...new Set([...record.groupOwners, ...record.evalOwners].flatMap((o) => o.owners))];
      const who = owners.length > 0 ? owners.map((id) => `<@${id}>`).join(', ') : 'an approver or admin';
      return `• \`${record.shortSha}\` ${record.subject} — ${countsLine(record)} — waiting for ${who}`;
    });
    const text =
      waiting.length === 0
        ? 'Nothing is waiting for approval.'
        : `${waiting.length} commit${waiting.length === 1 ? '' : 's'} waiting for approval:\n${lines.join('\n')}`;
    await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
  },
};
