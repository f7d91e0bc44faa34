import { HecklerError } from '../engine/errors.js';
import type { Selector } from '../engine/fleet/inventory.js';
import { parseNodeList } from '../engine/fleet/inventory.js';
import type { FleetService } from '../engine/runs/fleet-service.js';
import { escapeText } from '../engine/text/mrkdwn.js';
import { didYouMean } from '../engine/text/suggest.js';
import type { ArgSpec, CommandCall, FlagSpec, Services } from './types.js';

/** Shared grammar pieces for the Puppet commands, so every command names nodes the same way. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9.-]{0,62}$/;
export const REVISION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;

export const revisionArg: ArgSpec = {
  name: 'REV',
  description: 'a tag, branch or commit SHA of the Puppet repository',
  required: true,
  pattern: REVISION_PATTERN,
  patternHint: 'a tag, branch or SHA such as v2.1, main or 3f9c2e1',
};

export const nodesFlag: FlagSpec = {
  name: 'nodes',
  value: 'LIST',
  description: 'comma-separated node names',
  pattern: /^[a-z0-9][a-z0-9.,-]{0,2000}$/,
  patternHint: 'node names separated by commas, such as web1,web2',
};

export const setFlag: FlagSpec = {
  name: 'set',
  value: 'NAME',
  description: 'a node set from heckler.yml (or all)',
  pattern: NAME_PATTERN,
  patternHint: 'a set name such as canaries',
};

/** The Puppet half, or a clear word on how to configure it. */
export const fleetOf = (services: Services): FleetService => {
  if (services.fleet) return services.fleet;
  throw new HecklerError('CONFIG_INVALID', 'no Puppet repository is configured', {
    hint: 'add `repo.url` and `fleet.nodes` to heckler.yml (see the configuration reference in README.md)',
  });
};

/** `--nodes a,b` or `--set NAME` (not both); every node when neither is given. */
export const selectorOf = (call: CommandCall): Selector => {
  const nodes = call.flags.nodes;
  const set = call.flags.set;
  if (typeof nodes === 'string' && typeof set === 'string') {
    throw new HecklerError('USAGE', 'give either --nodes or --set, not both');
  }
  if (typeof nodes === 'string') return { nodes: parseNodeList(nodes) };
  return { set: typeof set === 'string' ? set : 'all' };
};

export const nodesArg: ArgSpec = {
  name: 'NODES',
  description: 'comma-separated node names or set names',
  required: true,
  pattern: /^[a-z0-9][a-z0-9.,-]{0,2000}$/,
  patternHint: 'node or set names separated by commas, such as web1,web2 or canaries',
};

/** `web1,canaries` → the nodes named plus the members of the sets named, in that order. */
export const resolveNodesArg = async (fleet: FleetService, text: string): Promise<string[]> => {
  const names = new Set(fleet.nodes().map((node) => node.name));
  const sets = [...Object.keys(fleet.sets()), 'all'];
  const out = new Set<string>();
  for (const item of parseNodeList(text)) {
    if (!names.has(item) && !sets.includes(item)) {
      throw new HecklerError(
        'NOT_FOUND',
        escapeText(
          `unknown node or set '${item}'${didYouMean(item, [...names, ...sets])}; nodes: ${[...names].join(', ')}; sets: ${sets.join(', ')}`,
        ),
        {
          hint: '`/heckler nodes` lists the fleet',
        },
      );
    }
    const members = names.has(item) ? [item] : (await fleet.select({ set: item })).map((node) => node.name);
    for (const member of members) out.add(member);
  }
  return [...out];
};
