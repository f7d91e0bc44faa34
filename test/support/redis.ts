import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stop and start again on the same port: with `persistDir`, the data survives (a real restart). */
  restart(): Promise<void>;
}

/**
 * A private redis-server on a free loopback port, as a child process. Without `persistDir` it
 * keeps nothing on disk; with it, an append-only file in that directory.
 */
export const startRedis = async ({ persistDir }: { persistDir?: string } = {}): Promise<RedisServer> => {
  ensureInstalled();
  const port = await freePort();
  if (persistDir) mkdirSync(persistDir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no'];
  args.push(
    ...(persistDir
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', persistDir]
      : ['--appendonly', 'no']),
  );
  let child = await launch(args, port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => halt(child),
    restart: async () => {
      await halt(child);
      child = await launch(args, port);
    },
  };
};

/** A port nobody listens on right now (also what the "unreachable Redis" tests point at). */
export const freePort = async (): Promise<number> => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (typeof address !== 'object' || address === null) throw new Error('no port from the kernel');
  return address.port;
};

const launch = async (args: string[], port: number): Promise<ChildProcess> => {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${output}`);
    if (await answersPing(port)) return child;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within 15 s:\n${output}`);
};

/** True on +PONG; a server still loading its append-only file answers -LOADING, which is not ready. */
const answersPing = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });

const halt = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
};

/** A fresh machine may lack Redis: install it when we can, otherwise say exactly what is missing. */
const ensureInstalled = (): void => {
  if (hasRedis()) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'redis-server is not installed: install it (Debian: apt-get install -y redis-server) and rerun',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', 'redis-server'], { env, encoding: 'utf8' });
  let result = install();
  if (result.status !== 0) {
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8' });
    result = install();
  }
  if (result.status !== 0 || !hasRedis()) {
    throw new Error(
      `could not install redis-server with apt-get:\n${result.stderr ?? result.error?.message}`,
    );
  }
};

const hasRedis = (): boolean => spawnSync('redis-server', ['--version']).status === 0;
