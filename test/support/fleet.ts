import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureInstalled,
  freePorts,
  killMountNamespaces,
  killMountNamespacesSync,
  mapLimit,
  mountNamespaceOf,
  type RunResult,
  run,
  runOk,
  waitFor,
} from './process.js';

/** One SSH node: its own sshd, hostname and `/data`, reachable on loopback. */
export interface FleetNode {
  name: string;
  host: '127.0.0.1';
  port: number;
  user: 'root';
  /** The host path that the node sees as `/data`. */
  dataDir: string;
  /** A working directory as seen ON the node (inside its `/data`), for its Puppet checkout. */
  workDir: string;
  certname: string;
}

export interface SshOptions {
  /** Defaults to the fleet's correct known_hosts. */
  knownHostsPath?: string;
  input?: string;
  /** Default 60 s; the ssh client is killed after that. */
  timeoutMs?: number;
}

export interface Fleet {
  /** The directory holding keys, configs, logs and every node's data. */
  dir: string;
  nodes: FleetNode[];
  node(name: string): FleetNode;
  privateKeyPath: string;
  publicKeyPath: string;
  /** `[127.0.0.1]:PORT ssh-ed25519 …` for every node: host key checking stays on. */
  knownHostsPath: string;
  /** A known_hosts in which `name`'s key (default: the first node's) is replaced by an impostor key. */
  wrongHostKeyKnownHosts(name?: string): string;
  /** The system `ssh` client's arguments (before the command) for reaching `node`. */
  sshArgs(node: string | FleetNode, options?: Pick<SshOptions, 'knownHostsPath'>): string[];
  /** Runs `command` on the node through the system `ssh` client (strict host key checking). */
  ssh(node: string | FleetNode, command: string, options?: SshOptions): Promise<RunResult>;
  /** Kills the node and everything running in it: the port then refuses connections. */
  stopNode(name: string): Promise<void>;
  /** Starts a stopped node again on the same port with the same host key and data. */
  startNode(name: string): Promise<void>;
  /** Stops every node; removes `dir` unless the caller supplied it. */
  stop(): Promise<void>;
}

export interface FleetOptions {
  /** A count (names `node1`…`nodeN`) or explicit names (lowercase letters, digits, dashes). */
  nodes: number | readonly string[];
  /** Where to keep keys, configs and node data; default a fresh directory under the OS temp dir. */
  dir?: string;
  /** Where each node's checkout lives, as seen on the node; default `/data/heckler/checkout`. */
  workDir?: string;
  /** How many nodes to start (and wait for) at once; default 16. */
  concurrency?: number;
}

interface NodeState {
  node: FleetNode;
  home: string;
  hostKeyLine: string;
  child?: ChildProcess;
  /** The node's mount namespace, e.g. `mnt:[4026532177]`: every process in it belongs to the node. */
  namespace?: string;
  /** An open fd on that namespace, so that it cannot be freed and its id reused while we may kill by it. */
  namespaceFd?: number;
}

/** Every running node's namespace, and fleet dirs we made: cleaned on exit even if a test forgot stop(). */
const running = new Set<string>();
const ownDirs = new Set<string>();
let exitHook = false;
const cleanOnExit = () => {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    killMountNamespacesSync(running);
    for (const dir of ownDirs) rmSync(dir, { recursive: true, force: true });
  });
};

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const START_ATTEMPTS = 3;
const UNSHARE = ['--mount', '--uts', '--propagation', 'private'];
/**
 * Inside the new namespaces: the node's own /data, its own empty /root (so the host's dotfiles stay
 * out: a root .bashrc running `pyenv init` costs ~120 ms on every ssh command), its hostname, and
 * sshd in the foreground (`-D`, so it stays our child; `-e` logs to the node's sshd.log).
 */
const NODE_SCRIPT =
  'mount --bind "$1" /data && mount --bind "$2" /root && hostname "$3" && exec /usr/sbin/sshd -D -e -f "$4"';

/**
 * Starts one `sshd` per node on free loopback ports, each inside its own mount and UTS namespaces
 * (own hostname, own `/data`), and resolves once every node answers `ssh … hostname` with its
 * name. Needs root; installs openssh-server, puppet and git with apt-get when missing.
 */
export const startFleet = async (options: FleetOptions): Promise<Fleet> => {
  if (process.getuid?.() !== 0) throw new Error('startFleet needs root (it mounts /data in namespaces)');
  ensureInstalled([
    { command: '/usr/sbin/sshd', pkg: 'openssh-server' },
    { command: 'ssh', pkg: 'openssh-client' },
    { command: 'puppet', pkg: 'puppet' },
    { command: 'git', pkg: 'git' },
    { command: 'unshare', pkg: 'util-linux' },
  ]);
  const names = nodeNames(options.nodes);
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'heckler-fleet-'));
  if (ownDir) ownDirs.add(dir);
  const concurrency = options.concurrency ?? 16;
  mkdirSync(join(dir, 'keys'), { recursive: true });
  mkdirSync('/data', { recursive: true });
  mkdirSync('/run/sshd', { recursive: true });

  const privateKeyPath = join(dir, 'keys', 'user');
  await keygen(privateKeyPath, 'heckler-test-user');
  writeFileSync(join(dir, 'keys', 'authorized_keys'), readFileSync(`${privateKeyPath}.pub`));
  const impostorKey = join(dir, 'keys', 'impostor');
  await keygen(impostorKey, 'impostor');
  const impostorLine = publicKeyOf(impostorKey);

  const ports = await freePorts(names.length);
  const states = await mapLimit(names, concurrency, async (name, index) => {
    const home = join(dir, 'nodes', name);
    const node: FleetNode = {
      name,
      host: '127.0.0.1',
      port: ports[index] as number,
      user: 'root',
      dataDir: join(home, 'data'),
      workDir: options.workDir ?? '/data/heckler/checkout',
      certname: `${name}.example.com`,
    };
    mkdirSync(node.dataDir, { recursive: true });
    mkdirSync(join(home, 'root'), { recursive: true, mode: 0o700 });
    await keygen(join(home, 'hostkey'), name);
    return { node, home, hostKeyLine: publicKeyOf(join(home, 'hostkey')) } satisfies NodeState;
  });
  const byName = new Map(states.map((state) => [state.node.name, state]));
  const knownHostsPath = join(dir, 'known_hosts');
  const writeKnownHosts = () => writeFileSync(knownHostsPath, knownHosts(states));

  const stateOf = (name: string): NodeState => {
    const state = byName.get(name);
    if (!state) throw new Error(`no node '${name}' in this fleet (nodes: ${names.slice(0, 10).join(', ')}…)`);
    return state;
  };
  const sshArgs: Fleet['sshArgs'] = (target, sshOptions = {}) => {
    const node = typeof target === 'string' ? stateOf(target).node : target;
    return clientArgs(node, privateKeyPath, sshOptions.knownHostsPath ?? knownHostsPath);
  };
  const ssh: Fleet['ssh'] = (target, command, sshOptions = {}) =>
    run('ssh', [...sshArgs(target, sshOptions), command], {
      input: sshOptions.input,
      timeoutMs: sshOptions.timeoutMs ?? 60_000,
    });
  const stopStates = async (targets: NodeState[]) => {
    const namespaces = new Set(targets.flatMap((state) => (state.namespace ? [state.namespace] : [])));
    await killMountNamespaces(namespaces);
    await Promise.all(targets.map((state) => state.child && exited(state.child)));
    for (const state of targets) {
      if (state.namespace) running.delete(state.namespace);
      if (state.namespaceFd !== undefined) closeSync(state.namespaceFd);
      Object.assign(state, { child: undefined, namespace: undefined, namespaceFd: undefined });
    }
  };

  const fleet: Fleet = {
    dir,
    nodes: states.map((state) => state.node),
    node: (name) => stateOf(name).node,
    privateKeyPath,
    publicKeyPath: `${privateKeyPath}.pub`,
    knownHostsPath,
    wrongHostKeyKnownHosts: (name = names[0] as string) => {
      const victim = stateOf(name);
      const path = join(dir, `known_hosts.wrong-${name}`);
      const lines = states.map((state) =>
        hostLine(state.node, state === victim ? impostorLine : state.hostKeyLine),
      );
      writeFileSync(path, `${lines.join('\n')}\n`);
      return path;
    },
    sshArgs,
    ssh,
    stopNode: (name) => stopStates([stateOf(name)]),
    startNode: async (name) => {
      const state = stateOf(name);
      if (state.child) return;
      await launchNode(state, dir, false);
      await waitUntilAnswering(state, ssh);
    },
    stop: async () => {
      await stopStates(states);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
      ownDirs.delete(dir);
    },
  };

  try {
    await mapLimit(states, concurrency, async (state) => {
      await launchNode(state, dir, true);
      writeKnownHosts();
      await waitUntilAnswering(state, ssh);
    });
    writeKnownHosts();
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  return fleet;
};

const nodeNames = (nodes: FleetOptions['nodes']): string[] => {
  const names =
    typeof nodes === 'number' ? Array.from({ length: nodes }, (_, i) => `node${i + 1}`) : [...nodes];
  if (names.length === 0) throw new Error('a fleet needs at least one node');
  for (const name of names) {
    if (!NAME.test(name))
      throw new Error(`bad node name '${name}': use lowercase letters, digits and dashes`);
  }
  if (new Set(names).size !== names.length) throw new Error('node names must be unique');
  return names;
};

const keygen = (path: string, comment: string) =>
  runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);

/** `ssh-ed25519 AAAA…` without the comment. */
const publicKeyOf = (path: string): string =>
  readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');

const hostLine = (node: FleetNode, key: string) => `[${node.host}]:${node.port} ${key}`;

const knownHosts = (states: NodeState[]) =>
  `${states.map((state) => hostLine(state.node, state.hostKeyLine)).join('\n')}\n`;

const clientArgs = (node: FleetNode, privateKeyPath: string, knownHostsPath: string): string[] => {
  const options = [
    'IdentitiesOnly=yes',
    'IdentityAgent=none',
    'BatchMode=yes',
    'StrictHostKeyChecking=yes',
    `UserKnownHostsFile=${knownHostsPath}`,
    'GlobalKnownHostsFile=/dev/null',
    'UpdateHostKeys=no',
    // sntrup761 costs ~80 ms of CPU per connection on these machines; ssh2 (node-ssh) uses curve25519 too
    'KexAlgorithms=curve25519-sha256',
    'ConnectTimeout=5',
    'LogLevel=ERROR',
  ];
  const flags = ['-F', '/dev/null', '-i', privateKeyPath, '-p', String(node.port)];
  return [...flags, ...options.flatMap((option) => ['-o', option]), `${node.user}@${node.host}`, '--'];
};

const sshdConfig = (state: NodeState, dir: string) =>
  [
    `Port ${state.node.port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(state.home, 'hostkey')}`,
    `AuthorizedKeysFile ${join(dir, 'keys', 'authorized_keys')}`,
    `PidFile ${join(state.home, 'sshd.pid')}`,
    'PermitRootLogin yes',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'MaxStartups 100:30:200',
    'MaxSessions 50',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');

/**
 * Starts the node's sshd inside fresh mount + UTS namespaces. `unshare` and `sh` both exec, so the
 * child's pid is sshd's. On a fresh start a port somebody grabbed meanwhile is replaced by another.
 */
const launchNode = async (state: NodeState, dir: string, mayMovePort: boolean): Promise<void> => {
  const { node } = state;
  const confPath = join(state.home, 'sshd.conf');
  const logPath = join(state.home, 'sshd.log');
  for (let attempt = 1; ; attempt++) {
    writeFileSync(confPath, sshdConfig(state, dir));
    const log = openSync(logPath, 'w');
    const args = [node.dataDir, join(state.home, 'root'), node.name, confPath];
    const child = spawn('unshare', [...UNSHARE, 'sh', '-c', NODE_SCRIPT, 'sh', ...args], {
      stdio: ['ignore', log, log],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
    });
    closeSync(log);
    child.on('error', () => {}); // surfaces below as an exit
    const listening = await waitFor(
      () =>
        child.exitCode !== null || child.signalCode !== null ? 'exited' : listeningIn(logPath, node.port),
      { timeoutMs: 15_000, intervalMs: 10, what: `sshd of ${node.name} to listen on ${node.port}` },
    ).catch((error: Error) => {
      child.kill('SIGKILL');
      throw error;
    });
    if (listening === 'up') {
      state.child = child;
      state.namespace = mountNamespaceOf(child.pid as number);
      if (!state.namespace) throw new Error(`sshd of ${node.name} vanished right after starting`);
      state.namespaceFd = openSync(`/proc/${child.pid}/ns/mnt`, 'r');
      running.add(state.namespace);
      cleanOnExit();
      return;
    }
    const output = readFileSync(logPath, 'utf8').split('\n').slice(-5).join('\n');
    if (!mayMovePort || attempt >= START_ATTEMPTS || !/Address already in use|Cannot bind/.test(output)) {
      throw new Error(`sshd of ${node.name} exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
    }
    const [port] = await freePorts(1);
    node.port = port as number;
  }
};

/** sshd -e says so on stderr once it listens; reading the log costs nothing, a probe costs a fork. */
const listeningIn = (logPath: string, port: number): 'up' | false =>
  readFileSync(logPath, 'utf8').includes(`Server listening on 127.0.0.1 port ${port}.`) && 'up';

const waitUntilAnswering = async (state: NodeState, ssh: Fleet['ssh']): Promise<void> => {
  let last: RunResult | undefined;
  await waitFor(
    async () => {
      last = await ssh(state.node, 'hostname', { timeoutMs: 15_000 });
      return last.code === 0 && last.stdout.trim() === state.node.name;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `${state.node.name} to answer ssh` },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last answer: ${JSON.stringify(last)}`);
  });
};

const exited = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
};
