import { errorMrkdwn, HecklerError } from '../errors.js';
import type { NodeSpec } from '../ports/transport.js';
import { escapeText } from '../text/mrkdwn.js';
import type { FleetConfig } from './fleet-config.js';
import { globToRegExp, listNames, NODE_NAME, unknownName, unknownNodes } from './node-names.js';

export type { FleetConfig } from './fleet-config.js';

/** Runs a set's command on the bot's machine and returns what it printed; throws when it fails. */
export type CommandRunner = (command: string) => Promise<string>;

/** What a user names: `--nodes a,b` or a set (`canaries`, or the built-in `all`). */
export type Selector = { nodes: readonly string[] } | { set: string };

export interface InventoryContext {
  fleet: FleetConfig;
  /** Only called for sets defined by a command. */
  runCommand: CommandRunner;
}

/** The built-in set of every node; in `applyOrder` it means every node no earlier stage took. */
export const ALL = 'all';

/** Every configured node with the fleet-wide defaults filled in, in config order. */
export const nodeSpecs = (fleet: FleetConfig): NodeSpec[] =>
  Object.entries(fleet.nodes).map(([name, node]) => {
    const spec: NodeSpec = {
      name,
      transport: node?.transport ?? fleet.transport,
      host: node?.host ?? name,
      port: node?.port ?? fleet.ssh.port,
      user: node?.user ?? fleet.ssh.user,
      certname: node?.certname ?? name,
      workDir: node?.workDir ?? fleet.workDir,
    };
    const keyPath = node?.key ?? fleet.ssh.key;
    if (keyPath !== undefined) spec.keyPath = keyPath;
    return spec;
  });

/** `web1, web2 ,web3` → the names, blanks and repeats dropped. */
export const parseNodeList = (text: string): string[] =>
  unique(
    text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  );

/**
 * The nodes a selector names, in the order it names them. Unknown nodes or sets, and selectors
 * that end up empty, are NOT_FOUND errors that list what exists.
 */
export const resolveSelector = async (selector: Selector, context: InventoryContext): Promise<NodeSpec[]> => {
  const specs = nodeSpecs(context.fleet);
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  let names: string[];
  if ('nodes' in selector) {
    names = unique(selector.nodes);
    const missing = names.filter((name) => !byName.has(name));
    if (missing.length > 0) throw unknownNodes(missing, [...byName.keys()]);
    if (names.length === 0)
      throw new HecklerError('USAGE', 'no nodes named', { hint: 'e.g. --nodes web1,web2' });
  } else {
    names = await setMembers(selector.set, context, [...byName.keys()]);
    if (names.length === 0)
      throw new HecklerError('NOT_FOUND', escapeText(`set '${selector.set}' has no nodes right now`));
  }
  return names.map((name) => byName.get(name) as NodeSpec);
};

/**
 * Names in set `name`, validated against the inventory. A set's command is run afresh every time:
 * it exists for membership that changes (a CMDB query), so a cached answer would be wrong.
 */
export const setMembers = async (
  name: string,
  context: InventoryContext,
  known: readonly string[],
): Promise<string[]> => {
  const { sets } = context.fleet;
  if (Object.hasOwn(sets, ALL)) {
    throw new HecklerError('CONFIG_INVALID', `fleet.sets.${ALL}: '${ALL}' is built in (every node)`, {
      hint: 'rename that set',
    });
  }
  if (name === ALL) return [...known];
  const set = Object.hasOwn(sets, name) ? sets[name] : undefined;
  if (set === undefined) throw unknownName('set', name, [...Object.keys(sets), ALL]);
  const where = `set '${name}'`;
  if (set.pattern !== undefined) {
    const pattern = globToRegExp(set.pattern);
    return known.filter((node) => pattern.test(node));
  }
  const members = set.nodes ?? (await commandMembers(name, set.command ?? '', context.runCommand));
  const unknown = members.filter((member) => !known.includes(member));
  if (unknown.length > 0) throw unknownNodes(unknown, known, where);
  return unique(members);
};

/** One name per line; blank lines and `#` comments are allowed so a plain text file can be `cat`ed. */
const commandMembers = async (set: string, command: string, runCommand: CommandRunner): Promise<string[]> => {
  let output: string;
  try {
    output = await runCommand(command);
  } catch (error) {
    throw new HecklerError(
      'CONFIG_INVALID',
      `${escapeText(`set '${set}': its command`)} \`${escapeText(command)}\` failed: ${errorMrkdwn(error)}`,
      {
        cause: error,
        hint: `fix fleet.sets.${escapeText(set)}.command so that it prints one node name per line`,
      },
    );
  }
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const malformed = lines.filter((line) => !NODE_NAME.test(line));
  if (malformed.length > 0) {
    const shown = malformed.slice(0, 5).map((line) => JSON.stringify(line.slice(0, 80)));
    throw new HecklerError(
      'CONFIG_INVALID',
      escapeText(
        `set '${set}': its command printed ${malformed.length} line(s) that are not node names: ${listNames(shown)}`,
      ),
      { hint: `fix fleet.sets.${escapeText(set)}.command so that it prints one node name per line` },
    );
  }
  return lines;
};

const unique = (names: readonly string[]): string[] => [...new Set(names)];
