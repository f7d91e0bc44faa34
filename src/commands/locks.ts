import { holderName, lockReason } from '../engine/locks/node-locks.js';
import type { Button } from '../engine/ports/message.js';
import { formatDuration } from '../engine/text/duration.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import type { CommandSpec } from './types.js';
import { forceUnlockButton } from './views/decision-buttons.js';

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
    // Your own locks release with a click; an admin may force anyone else's, after a confirm.
    const buttons: Button[] = held.flatMap((lock): Button[] => {
      if (lock.owner === ctx.user) return [{ label: `Unlock ${lock.node}`, command: `unlock ${lock.node}` }];
      return ctx.roles.has('admin') ? [forceUnlockButton(lock.node, holderName(lock.owner))] : [];
    });
    await ctx.respond({
      text,
      blocks: [
        { kind: 'section', text },
        ...(buttons.length > 0 ? [{ kind: 'actions' as const, buttons }] : []),
      ],
    });
  },
};
