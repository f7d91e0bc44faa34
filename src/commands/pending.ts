import { coveredNodes, decidersOf } from '../engine/review/records.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { reviewsOf } from './review-args.js';
import type { CommandSpec } from './types.js';
import { countsLine, waitingFor } from './views/review-status.js';

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
    const roles = ctx.services.config.roles;
    const lines = waiting.map((record) => {
      const who =
        coveredNodes(record).covered === 0
          ? 'a noop that works on some node (none produced one)'
          : waitingFor(decidersOf(record, roles));
      return `• \`${record.shortSha}\` ${escapeText(record.subject)} — ${countsLine(record)} — waiting for ${who}`;
    });
    const text =
      waiting.length === 0
        ? 'Nothing is waiting for approval.'
        : `${waiting.length} commit${waiting.length === 1 ? '' : 's'} waiting for approval:\n${lines.join('\n')}`;
    await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
  },
};
