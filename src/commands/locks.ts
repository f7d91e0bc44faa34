import { holderName, lockReason } from '../engine/locks/node-locks.js';
import { formatDuration } from '../engine/text/duration.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import type { CommandSpec } from './types.js';

export const locks: CommandSpec = {
  name: 'locks',
  summary: 'List node locks: holder, reason, age and expiry',
  args: [],
  flags: [],
  role: 'anyone',
  sideEffects: false,
  examples: ['locks'],
  async run(ctx) {
    const now = ctx.services.clock.now();
    const held = await ctx.services.nodeLocks.list();
    const lines = held.map(
      (lock) =>
        `• *${escapeText(lock.node)}* ${holderName(lock.owner)}: ${lockReason(lock)} · since ${now - lock.since < 1000 ? 'just now' : `${formatDuration(now - lock.since)} ago`} · expires in ${formatDuration(Math.max(0, lock.expiresAt - now))}`,
    );
    const text =
      held.length === 0
        ? 'No node is locked.'
        : `${held.length} node${held.length === 1 ? '' : 's'} locked:\n${lines.join('\n')}`;
    await ctx.respond({ text, blocks: [{ kind: 'section', text }] });
  },
};
