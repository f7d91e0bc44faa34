import { spawnSync } from 'node:child_process';
import type { Config } from '../config/schema.js';
import { nodeSpecs } from '../engine/fleet/inventory.js';
import { puppetNotInstalled } from '../engine/puppet/outcome.js';

/** Whether `command` (a name on PATH or a path) can be run here, looked up the way `sh` would. */
export const commandExists = (command: string, env: Readonly<Record<string, string>>): boolean =>
  spawnSync('sh', ['-c', 'command -v "$0" >/dev/null 2>&1', command], { env: { ...env }, stdio: 'ignore' })
    .status === 0;

/**
 * Before the first command: when nodes run Puppet on this machine (the local transport) and Puppet
 * is not here, the words to show — how to install it. The bot runs on regardless; the Puppet
 * commands fail with the same words until it is installed.
 */
export const puppetMissingNotice = (
  config: Pick<Config, 'repo' | 'fleet' | 'puppet' | 'childEnv'>,
  exists: (command: string) => boolean = (command) => commandExists(command, config.childEnv),
): string | undefined => {
  if (!config.repo) return undefined;
  if (!nodeSpecs(config.fleet).some((node) => node.transport === 'local')) return undefined;
  if (exists(config.puppet.command)) return undefined;
  return `${puppetNotInstalled(config.puppet.command, 'this machine')}; the Puppet commands will fail until then`;
};
