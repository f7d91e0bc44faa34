import { apply } from './apply.js';
import { approve } from './approve.js';
import { audit } from './audit.js';
import { build } from './build.js';
import { builds } from './builds.js';
import { cancel } from './cancel.js';
import { confirm } from './confirm.js';
import { deny } from './deny.js';
import { digest } from './digest.js';
import { doctor } from './doctor.js';
import { help } from './help.js';
import { home } from './home.js';
import { ignore } from './ignore.js';
import { ignores } from './ignores.js';
import { kill } from './kill.js';
import { lock } from './lock.js';
import { locks } from './locks.js';
import { logs } from './logs.js';
import { nodes } from './nodes.js';
import { noop } from './noop.js';
import { pending } from './pending.js';
import { permadiffs } from './permadiffs.js';
import { scan } from './scan.js';
import { status } from './status.js';
import type { CommandRegistry, CommandSpec } from './types.js';
import { unignore } from './unignore.js';
import { unlock } from './unlock.js';
import { unwatch } from './unwatch.js';
import { validate } from './validate.js';
import { version } from './version.js';
import { watch } from './watch.js';
import { whoami } from './whoami.js';

/** Every command Heckler knows. Adding one: write src/commands/NAME.ts and list it here. */
export const allCommands: readonly CommandSpec[] = [
  help,
  home,
  whoami,
  version,
  nodes,
  noop,
  approve,
  deny,
  pending,
  audit,
  ignore,
  unignore,
  ignores,
  apply,
  confirm,
  cancel,
  status,
  permadiffs,
  digest,
  scan,
  lock,
  unlock,
  locks,
  build,
  builds,
  logs,
  kill,
  validate,
  watch,
  unwatch,
  doctor,
];

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
