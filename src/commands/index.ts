import { help } from './help.js';
import { nodes } from './nodes.js';
import { noop } from './noop.js';
import type { CommandRegistry, CommandSpec } from './types.js';
import { version } from './version.js';
import { whoami } from './whoami.js';

/** Every command Heckler knows. Adding one: write src/commands/NAME.ts and list it here. */
export const allCommands: readonly CommandSpec[] = [help, whoami, version, nodes, noop];

export const createRegistry = (commands: readonly CommandSpec[] = allCommands): CommandRegistry => {
  const byName = new Map<string, CommandSpec>();
  for (const command of commands) {
    if (byName.has(command.name)) throw new Error(`command '${command.name}' is declared twice`);
    byName.set(command.name, command);
  }
  return { get: (name) => byName.get(name), all: () => [...byName.values()] };
};

export type { Dispatcher } from './dispatch.js';
export { createDispatcher } from './dispatch.js';
export type * from './types.js';
