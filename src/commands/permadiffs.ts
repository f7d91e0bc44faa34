import type { ChatIdMap } from '../engine/delta/index.js';
import { HecklerError } from '../engine/errors.js';
import { type PermadiffIgnore, permadiffIgnores, splitIgnored } from '../engine/permadiffs/ignored.js';
import type { PermadiffService } from '../engine/permadiffs/service.js';
import type { PermadiffGroup } from '../engine/permadiffs/state.js';
import { escapeText, USER_ID } from '../engine/text/mrkdwn.js';
import { NAME_PATTERN } from './fleet-args.js';
import type { CommandSpec, Services } from './types.js';
import { permadiffsMessage } from './views/permadiffs.js';

/** The scan's state, or a clear word on what configures it. */
export const permadiffsOf = (services: Services): PermadiffService => {
  if (services.permadiffs) return services.permadiffs;
  throw new HecklerError('CONFIG_INVALID', 'permadiff scans need a Puppet repository', {
    hint: 'add `repo.url` and `fleet.nodes` to heckler.yml (see the configuration reference in README.md)',
  });
};

/** The ignores a permadiff list applies: those made from chat, then `approvals.ignore`. */
export const activeIgnores = async (services: Services): Promise<PermadiffIgnore[]> => {
  const stored = await (services.ignores ?? services.reviews?.ignores)?.active();
  return permadiffIgnores(stored ?? [], services.config.approvals.ignore);
};

const idsOf = (value: string | readonly string[] | undefined): string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : [...value];

/**
 * `--owner` as typed: a chat user id, a Slack mention (`<@U123|bob>`), a CODEOWNERS name (`@bob`,
 * `@org/team`, matched case-insensitively like GitHub does) or a short user name from `users`.
 * A group matches when that person or name owns one of its sources, mapped or not.
 */
const ownerMatcher = (typed: string, services: Services): ((group: PermadiffGroup) => boolean) => {
  const mentioned = /^<@([A-Z0-9_]+)(\|[^>]*)?>$/.exec(typed)?.[1];
  const name = typed.toLowerCase();
  const ids = new Set<string>(mentioned ? [mentioned] : USER_ID.test(typed) ? [typed] : []);
  const owners: ChatIdMap = services.config.approvals.owners;
  for (const [codeowner, value] of Object.entries(owners))
    if (codeowner.toLowerCase() === name) for (const id of idsOf(value)) ids.add(id);
  for (const [id, short] of Object.entries(services.config.users))
    if (`@${short}`.toLowerCase() === name || short.toLowerCase() === name) ids.add(id);
  return (group) =>
    group.owners.some(
      (part) =>
        part.owners.some((id) => ids.has(id)) ||
        part.unmapped.some((unmapped) => unmapped.toLowerCase() === name),
    );
};

export const permadiffs: CommandSpec = {
  name: 'permadiffs',
  summary: 'Changes Puppet would make again and again on clean nodes, with hosts, owners and diffs',
  description:
    'The standing permadiffs from the last scans (`permadiffs.scanEvery`): resources that would change on a node running its ' +
    'applied revision cleanly, seen in `permadiffs.minRuns` scans in a row. Identical changes on several nodes are one group ' +
    "(a node's own name in a diff counts as the same). Reads stored state: it runs nothing on the nodes. " +
    'Nodes that could not be scanned (dirty, never applied, failing, unreachable) are listed as such. ' +
    'Ignored resources (`/heckler ignore`, `approvals.ignore`) are shown collapsed, one line each, and not counted.',
  args: [],
  flags: [
    {
      name: 'owner',
      value: '@NAME',
      description: 'only groups this person or CODEOWNERS name owns',
      pattern: /^(<@[A-Z0-9_]+(\|[^>]{0,80})?>|@?[A-Za-z0-9][A-Za-z0-9_./-]{0,99})$/,
      patternHint: 'a name such as @alice or @org/team, or a chat mention',
    },
    {
      name: 'node',
      value: 'NODE',
      description: 'only groups on this node',
      pattern: NAME_PATTERN,
      patternHint: 'a node name such as web1',
    },
    { name: 'new', description: 'only groups that became permadiffs in the last scan' },
  ],
  role: 'anyone',
  sideEffects: false,
  examples: ['permadiffs', 'permadiffs --owner @alice', 'permadiffs --node web1', 'permadiffs --new'],
  async run(ctx, call) {
    const state = await permadiffsOf(ctx.services).current();
    const { owner, node } = call.flags;
    if (
      typeof node === 'string' &&
      ctx.services.fleet &&
      !ctx.services.fleet.nodes().some((n) => n.name === node)
    )
      throw new HecklerError('NOT_FOUND', `unknown node '${escapeText(node)}'`, {
        hint: '`/heckler nodes` lists the fleet',
      });
    const byOwner = typeof owner === 'string' ? ownerMatcher(owner, ctx.services) : () => true;
    const keep = <T extends { group: PermadiffGroup; nodes: string[] }>(entries: T[]) =>
      entries
        .filter((entry) => byOwner(entry.group))
        .filter((entry) => typeof node !== 'string' || entry.nodes.includes(node))
        .filter((entry) => call.flags.new !== true || entry.group.since === state.lastScan?.at);
    const split = splitIgnored(state.groups, state.minRuns, await activeIgnores(ctx.services));
    const filtered = [
      typeof owner === 'string' ? ` owned by ${escapeText(owner)}` : '',
      typeof node === 'string' ? ` on ${escapeText(node)}` : '',
      call.flags.new === true ? ' new in the last scan' : '',
    ].join('');
    await ctx.respond(permadiffsMessage(state, keep(split.standing), keep(split.ignored), filtered));
  },
};
