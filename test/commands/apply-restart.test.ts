import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp } from '../../src/compose/app.js';
import type { ApplyRecord } from '../../src/engine/apply/records.js';
import { reviewStatus } from '../../src/engine/review/records.js';
import { createStorage } from '../../src/storage/keyv.js';
import { createLocalFleet, type LocalFleet } from '../engine/apply/local-fleet.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { waitFor } from '../support/process.js';

/**
 * The bot killed with SIGKILL in the middle of an apply, then started again: the real process
 * (`node --import tsx src/main.ts`, shell mode, driven on stdin), the embedded store, three local
 * nodes with a stand-in puppet held on the second node. Node locks expire 20 s after the last renewal.
 */
const root = join(import.meta.dirname, '../..');
let local: LocalFleet;
let configPath: string;
let file: Record<string, unknown>;
const children: ChildProcess[] = [];

const startBot = () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/main.ts'), '--config', configPath],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return {
    child,
    output: () => out,
    send: (line: string) => child.stdin?.write(`${line}\n`),
    /** Waits for `pattern` in what the bot printed after `from` characters. */
    until: (pattern: RegExp, from = 0, timeoutMs = 30_000) =>
      waitFor(() => pattern.exec(out.slice(from)) ?? undefined, {
        timeoutMs,
        what: `${pattern} in the bot's output:\n${out.slice(from)}`,
      }),
  };
};

beforeAll(async () => {
  local = await createLocalFleet({ nodes: 3 });
  file = {
    ...local.config,
    chat: { channel: 'CAPPLY' },
    users: { U0ADMIN: 'ada', U0APPLIER: 'abe' },
    roles: { admins: ['U0ADMIN'], appliers: ['U0APPLIER'] },
    // The terminal acts as the OS user running the test, mapped to the applier.
    shell: { users: { [userInfo().username]: 'U0APPLIER' } },
    storage: { dataDir: join(local.dir, 'data'), keyPrefix: 'restart' },
    apply: { concurrency: 1, lockTtl: '20s' },
  };
  // YAML is a superset of JSON.
  configPath = join(local.dir, 'heckler.yml');
  writeFileSync(configPath, JSON.stringify(file, null, 2));
  // Before the bot: every node on v1, and the hotfix reviewed (the stand-in makes its delta empty).
  const app = await composeApp(testConfig(file), {
    chat: new RecordingChat(),
    logger: captureLogger().logger,
    scheduler: false,
  });
  const composed = app.fleet;
  if (!composed) throw new Error('no fleet');
  const runs = await composed.service.runSha(
    local.repo.commits.motdChange,
    composed.service.nodes(),
    'apply',
    'U0ADMIN',
  );
  if (runs.some((run) => !run.reached)) throw new Error('could not apply v1');
  expect(reviewStatus(await composed.reviews.review(local.repo.commits.hotfix))).toBe('auto_approved');
  await app.close();
  local.reset();
}, 120_000);

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  local?.release('n02');
  local?.remove();
});

describe('a bot killed mid-apply', () => {
  it('comes back with the apply interrupted, says so in its message, and its node locks expire', async () => {
    const first = startBot();
    await first.until(/Heckler shell\./);
    first.send('/heckler apply v1.1');
    const confirm = await first.until(/\[(\d+)\] Confirm/);
    expect(first.output()).toContain('Apply plan #1: v1.1 on 3 nodes');
    local.hold('n02');
    first.send(`click ${confirm[1]}`);
    first.send('y'); // Confirm asks first, as Slack's confirm dialog does
    await waitFor(() => local.started('n02'), { timeoutMs: 30_000, what: 'n02 to start applying' });
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const killedAt = Date.now();

    const second = startBot();
    const restarted = await second.until(/#CAPPLY · m\d+ \(updated\)\n([\s\S]*?)\n└/);
    const message = restarted[1] ?? '';
    expect(message).toContain('Apply #1: v1.1 — interrupted');
    expect(message).toContain('apply v1.1 #1 — all 1/3 ✓ 1 interrupted');
    expect(message).toMatch(
      /the bot stopped while this apply ran; n02 was being applied and may be part-way \(`\/heckler status`\); its locks on n01, n02, n03 were held by the stopped bot and expire by themselves at \d\d:\d\d UTC/,
    );
    expect(message).not.toContain('Cancel');
    await second.until(/thread of m\d+\n│ ⚠️ Interrupted: the bot stopped while this apply ran/);
    await second.until(/Heckler shell\./);
    let from = second.output().length;
    second.send('/heckler locks');
    await second.until(/3 nodes locked:\n│ • \*n01\* heckler:apply#1: apply v1.1 by @abe/, from);

    // Nothing renews them now: they are gone once 20 s have passed since the last renewal.
    await waitFor(
      async () => {
        from = second.output().length;
        second.send('/heckler locks');
        return second
          .until(/No node is locked\.|nodes? locked/, from)
          .then((m) => m[0] === 'No node is locked.');
      },
      { timeoutMs: 30_000, intervalMs: 1_000, what: 'the locks of the dead bot to expire' },
    );
    expect(Date.now() - killedAt).toBeLessThan(25_000);
    from = second.output().length;
    second.send('/heckler status');
    await second.until(/3 nodes: 2 on v1, 1 on v1\.1/, from);
    second.send('exit');
    const [code] = await once(second.child, 'exit');
    expect(code).toBe(0);

    const storage = await createStorage({ dataDir: join(local.dir, 'data'), keyPrefix: 'restart' });
    const record = await storage.store<ApplyRecord>('applies').get('1');
    await storage.close();
    expect(record?.status).toBe('interrupted');
    expect(record?.stages[0]?.nodes.map((n) => `${n.node}:${n.status}`)).toEqual([
      'n01:ok',
      'n02:interrupted',
      'n03:not_run',
    ]);
  }, 120_000);
});
