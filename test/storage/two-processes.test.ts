import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { run } from '../support/process.js';

/**
 * The embedded store is one process only: two real bots (`node --import tsx src/main.ts`, the
 * terminal adapter) on one data directory. The second must refuse to start and name the first;
 * after the first is killed, the next start takes its stale lock over and says so in its log.
 */
const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'heckler-two-bots-'));
const dataDir = join(dir, 'data');
const config = join(dir, 'heckler.yml');
const me = userInfo().username;
writeFileSync(
  config,
  [
    'users: { U0ALICE: alice }',
    'roles: { admins: [U0ALICE] }',
    `shell: { users: { ${me}: U0ALICE } }`,
    `storage: { dataDir: ${JSON.stringify(dataDir)} }`,
    '',
  ].join('\n'),
);
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
const args = ['--import', 'tsx', 'src/main.ts', '--config', config];
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bot whose terminal stays open (stdin is a pipe we hold) until we write `exit` or kill it. */
const startBot = async () => {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
  running.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await expect
    .poll(() => (child.exitCode === null ? output : `exited ${child.exitCode}: ${output}`), {
      timeout: 20_000,
      interval: 20,
    })
    .toContain('Heckler shell.');
  return child;
};

/** A second bot that reads one command and leaves (or refuses to start). */
const runBot = () =>
  run(process.execPath, args, { cwd: root, env, input: '/heckler whoami\nexit\n', timeoutMs: 20_000 });

describe('two bots on one embedded data directory', () => {
  it('the second refuses to start and names the first one’s pid; after a clean exit the lock is gone', async () => {
    const first = await startBot();
    const lock = JSON.parse(readFileSync(join(dataDir, 'heckler.lock'), 'utf8'));
    expect(lock).toMatchObject({ pid: first.pid, host: hostname() });

    const second = await runBot();
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toContain(
      `heckler: the data directory ${dataDir} is in use by another Heckler process: pid ${first.pid} on ${hostname()}, since `,
    );
    expect(second.stderr).toContain('Stop that process first, or give this bot its own storage.dataDir');

    first.stdin?.end('exit\n');
    const [code] = await once(first, 'exit');
    expect(code).toBe(0);
    expect(existsSync(join(dataDir, 'heckler.lock'))).toBe(false);
    const third = await runBot();
    expect(third.stderr).toBe('');
    expect(third.code).toBe(0);
  }, 60_000);

  it('a bot killed with SIGKILL leaves a stale lock that the next start takes over, with a log line', async () => {
    const killed = await startBot();
    killed.kill('SIGKILL');
    await once(killed, 'exit');
    expect(JSON.parse(readFileSync(join(dataDir, 'heckler.lock'), 'utf8'))).toMatchObject({
      pid: killed.pid,
    });

    const next = await runBot();
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(next.stdout).toContain('User id: U0ALICE');
    const log = readFileSync(join(dataDir, 'heckler.log'), 'utf8');
    expect(log).toContain(
      `took over the data directory lock of pid ${killed.pid}, which is no longer running`,
    );
  }, 60_000);
});
