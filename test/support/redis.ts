import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LockClient } from '../../src/storage/locks-redis.js';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /**
   * Stop and start again on the same port: with `persistDir`, the data survives (a real restart).
   * `shutdown` (the default) sends SHUTDOWN, as an operator would; `crash` is SIGKILL.
   */
  restart(how?: StopHow): Promise<void>;
  /** Stop without starting again (`start` brings it back on the same port). */
  halt(how?: StopHow): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers, as with a frozen server or a lost network. */
  pause(): void;
  resume(): void;
}

export type StopHow = 'shutdown' | 'crash';

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
  let paused = false;
  const stopIt = async (how: StopHow) => {
    if (paused && !exited(child)) child.kill('SIGCONT');
    paused = false;
    if (how === 'shutdown') await shutdown(child, port);
    else await kill(child);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () => stopIt('crash').then(() => undefined),
    halt: (how = 'shutdown') => stopIt(how),
    start: async () => {
      child = await launch(args, port);
    },
    restart: async (how = 'shutdown') => {
      await stopIt(how);
      child = await launch(args, port);
    },
    pause: () => {
      paused = true;
      child.kill('SIGSTOP');
    },
    resume: () => {
      paused = false;
      child.kill('SIGCONT');
    },
  };
};

// One step on the server per batch: a key's TTL cannot run out between our PTTL and our PEXPIRE.
const advanceScript = `
for _, key in ipairs(KEYS) do
  local ttl = redis.call('PTTL', key)
  if ttl > 0 then
    if ttl <= tonumber(ARGV[1]) then redis.call('DEL', key) else redis.call('PEXPIRE', key, ttl - tonumber(ARGV[1])) end
  end
end
return 0`;

/**
 * Lets `ms` pass for the keys under `prefix`, without waiting: every remaining TTL shrinks by
 * `ms`, and a key whose TTL runs out is deleted, as Redis's own expiry would by then. Keys without
 * a TTL are left alone. This is how the storage contract tests Redis TTLs without sleeping.
 */
export const advanceTtls = async (
  client: Pick<LockClient, 'scan' | 'eval'>,
  prefix: string,
  ms: number,
): Promise<void> => {
  let cursor = '0';
  do {
    const page = await client.scan(cursor, { MATCH: `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, COUNT: 500 });
    cursor = String(page.cursor);
    if (page.keys.length > 0) await client.eval(advanceScript, { keys: page.keys, arguments: [String(ms)] });
  } while (cursor !== '0');
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

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** SIGKILL: a crash. With `--appendfsync always` every acknowledged write is still on disk. */
const kill = async (child: ChildProcess): Promise<void> => {
  if (exited(child)) return;
  const exit = once(child, 'exit');
  child.kill('SIGKILL');
  await exit;
};

/** The SHUTDOWN command (the append-only file is flushed first); SIGKILL if it has not exited in 10 s. */
const shutdown = async (child: ChildProcess, port: number): Promise<void> => {
  if (exited(child)) return;
  const exit = once(child, 'exit');
  await new Promise<void>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.write('SHUTDOWN\r\n'));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exit;
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
