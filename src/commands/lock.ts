import { HecklerError } from '../engine/errors.js';
import { parseDuration } from '../engine/text/duration.js';
import { escapeText, mention } from '../engine/text/mrkdwn.js';
import { fleetOf, nodesArg, resolveNodesArg } from './fleet-args.js';
import type { CommandSpec } from './types.js';

const DEFAULT_FOR = '24h';
const MAX_FOR_MS = 30 * 86_400_000;

export const lock: CommandSpec = {
  name: 'lock',
  summary: 'Lock nodes so that no apply touches them',
  description: `A lock has an owner, a reason and an expiry (\`--for\`, default ${DEFAULT_FOR}, at most 30d). Every node is locked, or none.`,
  args: [
    nodesArg,
    { name: 'REASON', description: 'why, for whoever finds the lock', required: true, rest: true },
  ],
  flags: [
    {
      name: 'for',
      value: 'DURATION',
      description: `how long (default ${DEFAULT_FOR})`,
      pattern: /^(?:\d+[smhd])+$/,
      patternHint: 'a duration such as 30m, 2h or 3d',
    },
  ],
  role: 'applier',
  sideEffects: true,
  examples: ['lock web1,web2 kernel upgrade in progress', 'lock canaries testing a new JVM --for 3d'],
  async run(ctx, call) {
    const fleet = fleetOf(ctx.services);
    const ttlMs = parseDuration(typeof call.flags.for === 'string' ? call.flags.for : DEFAULT_FOR) ?? 0;
    if (ttlMs <= 0 || ttlMs > MAX_FOR_MS) {
      throw new HecklerError(
        'USAGE',
        `--for must be between 1s and 30d, not ${escapeText(String(call.flags.for))}`,
      );
    }
    const nodes = await resolveNodesArg(fleet, call.args.NODES ?? '');
    const reason = call.args.REASON ?? '';
    await ctx.services.nodeLocks.lockAll(nodes, { owner: ctx.user, reason, ttlMs });
    const text = `:lock: ${mention(ctx.user)} locked ${escapeText(nodes.join(', '))} for ${escapeText(String(call.flags.for ?? DEFAULT_FOR))}: ${escapeText(reason)}`;
    await ctx.services.chat.post(ctx.channel, { text, blocks: [{ kind: 'section', text }] });
  },
};
