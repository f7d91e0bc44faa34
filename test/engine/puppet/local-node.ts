import { cpSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildPuppetCommand,
  createNonce,
  type PuppetCommandConfig,
  type PuppetMode,
  REPORT_PROCESSOR_NAME,
  reportProcessorModuleDir,
} from '../../../src/engine/puppet/command.js';
import { ensureInstalled, type RunResult, run, runOk } from '../../support/process.js';

/**
 * A Puppet "node" on this machine without sshd: commands run inside fresh mount and UTS
 * namespaces where the node's own directory is bind-mounted on /data (the fixture manifests
 * manage /data/...) and the hostname is the node's. Layout as on a real node: workDir
 * /data/heckler, its checkout and the report processor module under it.
 */
export interface LocalNode {
  name: string;
  certname: string;
  /** The host directory the node sees as /data. */
  dataDir: string;
  /** As seen on the node. */
  workDir: '/data/heckler';
  checkout: '/data/heckler/checkout';
}

export interface PuppetRunCapture {
  nonce: string;
  command: string;
  result: RunResult;
}

/** vardir and confdir inside the node's /data, so nothing touches the machine's own Puppet state. */
export const testPuppetConfig: PuppetCommandConfig = {
  command: 'puppet',
  args: ['--vardir', '/data/puppet/var', '--confdir', '/data/puppet/conf'],
  env: {},
  manifest: 'manifests/site.pp',
  modulepath: ['modules'],
  noopTimeout: 120_000,
  applyTimeout: 120_000,
};

/** Where Puppet leaves the full YAML report, on the host. */
export const lastRunReportPath = (node: LocalNode) =>
  join(node.dataDir, 'puppet/var/state/last_run_report.yaml');

const NODE_SCRIPT = 'mount --bind "$1" /data && hostname "$2" && exec sh -c "$3"';

export const requirePuppet = (): void => {
  if (process.getuid?.() !== 0) {
    throw new Error('real Puppet runs need root: they bind-mount /data inside a mount namespace');
  }
  ensureInstalled([
    { command: 'puppet', pkg: 'puppet' },
    { command: 'git', pkg: 'git' },
    { command: 'unshare', pkg: 'util-linux' },
  ]);
  mkdirSync('/data', { recursive: true });
};

/** A fresh node: its /data holds a clone of `repoPath` and the processor module, nothing else. */
export const createLocalNode = async (dir: string, name: string, repoPath: string): Promise<LocalNode> => {
  const node: LocalNode = {
    name,
    certname: `${name}.example.com`,
    dataDir: join(dir, name, 'data'),
    workDir: '/data/heckler',
    checkout: '/data/heckler/checkout',
  };
  const lib = join(node.dataDir, 'heckler', 'lib');
  mkdirSync(lib, { recursive: true });
  cpSync(reportProcessorModuleDir, join(lib, REPORT_PROCESSOR_NAME), { recursive: true });
  await runOk('git', ['clone', '--quiet', repoPath, join(node.dataDir, 'heckler', 'checkout')]);
  return node;
};

export const checkout = async (node: LocalNode, commit: string): Promise<void> => {
  await runOk('git', [
    '-C',
    join(node.dataDir, 'heckler', 'checkout'),
    'checkout',
    '--quiet',
    '--force',
    '--detach',
    commit,
  ]);
};

/** Runs a shell command inside the node's namespaces. */
export const onNode = (node: LocalNode, command: string, timeoutMs = 120_000): Promise<RunResult> =>
  run(
    'unshare',
    [
      '--mount',
      '--uts',
      '--propagation',
      'private',
      'sh',
      '-c',
      NODE_SCRIPT,
      'sh',
      node.dataDir,
      node.name,
      command,
    ],
    {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: '/root' },
      timeoutMs,
    },
  );

/** Checks out `commit` and runs the bot's own Puppet command line for it. */
export const runPuppet = async (
  node: LocalNode,
  commit: string,
  mode: PuppetMode,
): Promise<PuppetRunCapture> => {
  await checkout(node, commit);
  const nonce = createNonce();
  const { command, execTimeoutMs } = buildPuppetCommand({
    config: testPuppetConfig,
    node: {
      name: node.name,
      transport: 'local',
      host: 'localhost',
      port: 22,
      user: 'root',
      certname: node.certname,
      workDir: node.workDir,
    },
    mode,
    nonce,
  });
  const result = await onNode(node, command, execTimeoutMs);
  return { nonce, command, result };
};

/** Sets the node's state: an apply that must succeed (exit 0 or 2). */
export const applyOk = async (node: LocalNode, commit: string): Promise<void> => {
  const { result } = await runPuppet(node, commit, 'apply');
  if (result.code !== 0 && result.code !== 2) {
    throw new Error(`apply of ${commit} on ${node.name} exited ${result.code}:\n${result.stderr}`);
  }
};

export const fileSize = (path: string): number => statSync(path).size;
export const readText = (path: string): string => readFileSync(path, 'utf8');
