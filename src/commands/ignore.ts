import { MAX_TITLE, parseResource, RESOURCE_FORM, RESOURCE_PATTERN } from '../engine/delta/ignores.js';
import { HecklerError } from '../engine/errors.js';
import { parseDuration } from '../engine/text/duration.js';
import { escapeText, mention } from '../engine/text/mrkdwn.js';
import { fleetOf, nodesFlag, selectorOf, setFlag } from './fleet-args.js';
import { ignoresOf, resourceText, scopeText, when } from './ignore-view.js';
import type { CommandSpec } from './types.js';

const DEFAULT_FOR = '30d';
const MAX_FOR_MS = 365 * 86_400_000;
const MAX_REASON = 500;

export const ignore: CommandSpec = {
  name: 'ignore',
  summary: 'Ignore a resource in reviews, with a reason: shown collapsed, never needing approval',
  description: `Like \`approvals.ignore\` in heckler.yml, made from chat: the resource's changes are shown collapsed under "Ignored" and need no approval, on every node or only on \`--nodes\`/\`--set\` (elsewhere they still do). Expires after \`--for\` (default ${DEFAULT_FOR}, at most 365d). Approvers and admins may ignore; \`/heckler unignore ID\` removes one; every ignore and unignore is in \`/heckler audit\`.`,
  args: [
    {
      name: 'RESOURCE',
      description: 'the resource as Puppet names it, TYPE[TITLE]',
      required: true,
      pattern: RESOURCE_PATTERN,
      patternHint: RESOURCE_FORM,
    },
    { name: 'REASON', description: 'why it may be ignored, for reviewers', required: true, rest: true },
  ],
  flags: [
    nodesFlag,
    setFlag,
    {
      name: 'for',
      value: 'DURATION',
      description: `how long (default ${DEFAULT_FOR}, at most 365d)`,
      pattern: /^(?:\d+[smhd])+$/,
      patternHint: 'a duration such as 12h, 30d or 90d',
    },
  ],
  // CODEOWNERS owners are not known at command time (ownership comes from a noop's file:line).
  role: 'approver',
  sideEffects: true,
  examples: [
    'ignore Exec[refresh-cache] runs on every Puppet run by design',
    'ignore File[/etc/motd] rewritten by the login banner tool --nodes node1,node2 --for 7d',
    'ignore "Exec[apt-get update]" runs every time --set canaries',
  ],
  async run(ctx, call) {
    const resource = parseResource(call.args.RESOURCE ?? '');
    if (!resource) {
      throw new HecklerError(
        'USAGE',
        `expected ${escapeText(RESOURCE_FORM)}; titles up to ${MAX_TITLE} characters`,
      );
    }
    const forText = typeof call.flags.for === 'string' ? call.flags.for : DEFAULT_FOR;
    const ttlMs = parseDuration(forText) ?? 0;
    if (ttlMs <= 0 || ttlMs > MAX_FOR_MS) {
      throw new HecklerError('USAGE', `--for must be between 1s and 365d, not ${escapeText(forText)}`, {
        hint: 'e.g. `--for 30d`; make it again when it runs out',
      });
    }
    const reason = call.args.REASON ?? '';
    if (reason.length > MAX_REASON) {
      throw new HecklerError('USAGE', `the reason is ${reason.length} characters; at most ${MAX_REASON}`, {
        hint: 'say why in a sentence and link to the ticket',
      });
    }
    const selector = selectorOf(call);
    // Unknown nodes and sets are refused with the inventory's own wording, as noop and apply do.
    const nodes =
      'set' in selector && selector.set === 'all'
        ? undefined
        : (await fleetOf(ctx.services).select(selector)).map((node) => node.name);
    const made = await ignoresOf(ctx.services).add({
      ...resource,
      reason,
      ...(nodes ? { nodes } : {}),
      ...('set' in selector && nodes ? { set: selector.set } : {}),
      by: ctx.user,
      ttlMs,
      origin: ctx.origin,
    });
    const text = `:mute: ${mention(ctx.user)} ignored ${resourceText(made)} ${scopeText(made)} until ${when(made.expiresAt)} (id \`${made.id}\`): ${escapeText(reason)}. Reviews show it collapsed and need no approval for it.`;
    await ctx.services.chat.post(ctx.channel, { text, blocks: [{ kind: 'section', text }] });
  },
};
