import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { freePort } from './redis.js';

/** The image every build test uses: busybox from the host, imported (no registry is reachable). */
export const TEST_IMAGE = 'heckler-test/busybox:1';

export interface TestDocker {
  /** `unix:///…/docker.sock`: what the pool and runtime are configured with. */
  address: string;
  socketPath: string;
  /** `tcp://127.0.0.1:PORT` when started with `tcp: true`. */
  tcpAddress?: string;
  /** dockerode on the same engine, for assertions. */
  docker: Dockerode;
  stop(): Promise<void>;
}

/**
 * The engine for one test file: the one named by HECKLER_TEST_DOCKER_HOST when set (e.g. started
 * once by a global setup with `startDocker`; `stop` then leaves it running), else a private one.
 * Tests label their containers with a per-file instance, so files can share an engine.
 */
export const useDocker = async (): Promise<TestDocker> => {
  const shared = process.env.HECKLER_TEST_DOCKER_HOST;
  if (!shared) return startDocker();
  const socketPath = shared.replace(/^unix:\/\//, '');
  const docker = new Dockerode({ socketPath });
  await docker.ping();
  const images = await docker.listImages({ filters: { reference: [TEST_IMAGE] } });
  if (images.length === 0) {
    const dir = mkdtempSync(join(tmpdir(), 'hk-busybox-'));
    await importBusybox(docker, dir).finally(() => rmSync(dir, { recursive: true, force: true }));
  }
  return { address: shared, socketPath, docker, stop: async () => {} };
};

/**
 * A private dockerd: its own socket, data and exec roots (so it runs beside
 * any other engine, including another test file's), no bridge and no iptables (the sandbox has
 * neither, and build containers use network none). Docker is installed with apt when missing and
 * we are root; anything else that stops it is a failure that says why.
 */
export const startDocker = async ({
  tcp = false,
  tls,
}: {
  tcp?: boolean;
  /** Listen on tcp with TLS, requiring client certificates signed by `tls.ca` (--tlsverify). */
  tls?: TlsFiles;
} = {}): Promise<TestDocker> => {
  ensureInstalled('dockerd', 'docker.io');
  ensureInstalled('busybox', 'busybox-static', '/bin/busybox');
  // Short path: a unix socket path must stay under 108 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'hk-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const logPath = join(dir, 'dockerd.log');
  const log = openSync(logPath, 'a');
  // Loopback only; dockerd 20.10 warns about plain TCP and waits a second before listening.
  const tcpPort = tcp || tls ? await freePort() : undefined;
  const tlsFlags = tls
    ? ['--tlsverify', `--tlscacert=${tls.ca}`, `--tlscert=${tls.serverCert}`, `--tlskey=${tls.serverKey}`]
    : [];
  const child = spawn(
    'dockerd',
    [
      `--host=unix://${socketPath}`,
      ...(tcpPort ? [`--host=tcp://127.0.0.1:${tcpPort}`] : []),
      ...tlsFlags,
      `--data-root=${join(dir, 'data')}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'dockerd.pid')}`,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      // Build containers sleep as PID 1 and ignore SIGTERM: do not wait 15 s for them at stop.
      '--shutdown-timeout=1',
    ],
    { stdio: ['ignore', log, log] },
  );
  const docker = new Dockerode({ socketPath });
  const stop = () => halt(child, dir);
  try {
    await waitUntilAnswering(docker, child, logPath);
    await importBusybox(docker, dir);
  } catch (error) {
    await stop();
    throw error;
  }
  const tcpAddress = tcpPort ? `tcp://127.0.0.1:${tcpPort}` : undefined;
  return { address: `unix://${socketPath}`, ...(tcpAddress ? { tcpAddress } : {}), socketPath, docker, stop };
};

const waitUntilAnswering = async (docker: Dockerode, child: ChildProcess, logPath: string) => {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`dockerd exited with ${child.exitCode}:\n${tail(logPath)}`);
    }
    try {
      await docker.info();
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`dockerd did not answer within 30 s:\n${tail(logPath)}`);
};

const tail = (path: string): string => {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
};

/** The TESTING.md recipe: a rootfs holding only /bin/busybox and its applets, imported as an image. */
const importBusybox = async (docker: Dockerode, dir: string) => {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'tmp'), { recursive: true });
  writeFileSync(join(rootfs, 'bin', 'busybox'), readFileSync('/bin/busybox'), { mode: 0o755 });
  const applets = [
    'sh',
    'echo',
    'ls',
    'cat',
    'sleep',
    'true',
    'false',
    'env',
    'mkdir',
    'tar',
    'pwd',
    'head',
    'tr',
  ];
  for (const applet of applets) symlinkSync('busybox', join(rootfs, 'bin', applet));
  const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
  if (tar.status !== 0) throw new Error(`tar of the busybox rootfs failed: ${tar.stderr}`);
  const [repo, tag] = TEST_IMAGE.split(':');
  const stream = await docker.importImage(tar.stdout as unknown as NodeJS.ReadableStream, {
    repo,
    tag,
    changes: 'LABEL heckler.test=busybox',
  });
  const output = await new Promise<string>((resolve, reject) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
  if (output.includes('"error"')) throw new Error(`docker import failed: ${output}`);
};

const halt = async (child: ChildProcess, dir: string) => {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  // After a SIGKILL the overlay mounts can outlive dockerd; unmount before deleting.
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(dir))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) spawnSync('umount', ['-l', point]);
  rmSync(dir, { recursive: true, force: true });
};

/** A fresh machine may lack the engine or busybox: install when root, else say what is missing. */
const ensureInstalled = (command: string, pkg: string, path?: string) => {
  const present = () => (path ? spawnSync('test', ['-x', path]).status === 0 : which(command));
  if (present()) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${command} is not installed: install it (Debian: apt-get install -y ${pkg}) and rerun`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', pkg], { env, encoding: 'utf8' });
  let result = install();
  if (result.status !== 0) {
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8' });
    result = install();
  }
  if (result.status !== 0 || !present()) {
    throw new Error(`could not install ${pkg} with apt-get:\n${result.stderr ?? result.error?.message}`);
  }
};

const which = (command: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;

/** An uncompressed tar of the given files (path → content), built with the system tar like `git archive`'s. */
export const makeTree = (files: Record<string, string>): Buffer => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-tree-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
    }
    const tar = spawnSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 64 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
    return tar.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** PEM files for a TLS engine: a CA, the engine's certificate, a client's, and one from another CA. */
export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Signed by `ca`: the engine accepts it. */
  client: { cert: string; key: string };
  /** Signed by a CA the engine does not know: refused. */
  stranger: { ca: string; cert: string; key: string };
}

/** Generated with openssl in `dir` (EC keys: quick), valid for 127.0.0.1 for two days. */
export const makeTlsFiles = (dir: string): TlsFiles => {
  ensureInstalled('openssl', 'openssl');
  mkdirSync(dir, { recursive: true });
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => {
    const result = spawnSync('openssl', args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr ?? result.error}`);
  };
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const authority = (name: string) =>
    openssl(
      'req',
      '-x509',
      ...key,
      '-keyout',
      at(`${name}-key.pem`),
      '-out',
      at(`${name}.pem`),
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    );
  const signed = (name: string, by: string, extensions: string) => {
    writeFileSync(at(`${name}.ext`), extensions);
    openssl(
      'req',
      ...key,
      '-keyout',
      at(`${name}-key.pem`),
      '-out',
      at(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at(`${by}.pem`),
      '-CAkey',
      at(`${by}-key.pem`),
      '-CAcreateserial',
      '-out',
      at(`${name}.pem`),
      '-days',
      '2',
      '-extfile',
      at(`${name}.ext`),
    );
  };
  authority('ca');
  authority('other-ca');
  signed('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  signed('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server-key.pem'),
    client: { cert: at('client.pem'), key: at('client-key.pem') },
    stranger: { ca: at('other-ca.pem'), cert: at('stranger.pem'), key: at('stranger-key.pem') },
  };
};
