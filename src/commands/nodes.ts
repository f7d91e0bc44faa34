import { escapeText } from '../engine/text/mrkdwn.js';
import { fleetOf, NAME_PATTERN } from './fleet-args.js';
import type { CommandSpec } from './types.js';
import { nodesMessage } from './views/nodes.js';

export const nodes: CommandSpec = {
  name: 'nodes',
  summary: 'List the fleet: nodes, node sets and the apply order',
  description:
    'With a set name, lists only that set. `--check` connects to each node and says whether it answers.',
  args: [
    {
      name: 'SET',
      description: 'a node set to list (default: every node)',
      pattern: NAME_PATTERN,
      patternHint: 'a set name such as canaries',
    },
  ],
  flags: [{ name: 'check', description: 'connect to each node and report whether it answers' }],
  role: 'anyone',
  sideEffects: false,
  // Listing the inventory is free; --check connects to every node.
  expensive: (call) => call.flags.check !== undefined,
  examples: ['nodes', 'nodes canaries --check'],
  async run(ctx, call) {
    const fleet = fleetOf(ctx.services);
    const setName = call.args.SET;
    const listed = setName ? await fleet.select({ set: setName }) : fleet.nodes();
    const definitions = ctx.services.config.fleet.sets;
    const sets = await Promise.all(
      Object.entries(definitions).map(async ([name, set]) => ({
        name,
        definition: set.nodes
          ? 'list'
          : set.pattern
            ? `pattern ${set.pattern}`
            : `command \`${set.command}\``,
        members: (await fleet.select({ set: name })).map((node) => node.name),
      })),
    );
    if (call.flags.check)
      await ctx.respond({
        text: `checking ${listed.length} nodes…`,
        blocks: [{ kind: 'context', text: `checking ${listed.length} nodes…` }],
      });
    const checks = call.flags.check
      ? new Map((await fleet.check(listed)).map((result) => [result.node, result]))
      : undefined;
    const title = setName
      ? `Set ${escapeText(setName)}: ${listed.length} nodes`
      : `Fleet: ${listed.length} nodes`;
    await ctx.respond(
      nodesMessage({
        title,
        nodes: listed,
        sets: setName ? sets.filter((set) => set.name === setName) : sets,
        applyOrder: ctx.services.config.fleet.applyOrder,
        ...(checks ? { checks } : {}),
      }),
    );
  },
};
