import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalTransport } from '../../../src/adapters/transport/local.js';
import type { NodeSpec } from '../../../src/engine/ports/transport.js';
import { expectPairs, meetCommand, transportContract } from './contract.js';

const node: NodeSpec = {
  name: 'laptop',
  transport: 'local',
  host: 'localhost',
  port: 22,
  user: 'root',
  certname: 'laptop',
  workDir: '/tmp/heckler-local',
};
const transport = createLocalTransport({ concurrency: 4, killGraceMs: 1_000 });
const capped = createLocalTransport({ concurrency: 4, killGraceMs: 1_000, maxOutputBytes: 1024 * 1024 });
afterAll(async () => {
  await transport.close();
  await capped.close();
});

transportContract('local', () => ({ transport, node, capped }));

describe('local transport', () => {
  it('caps how many commands run at once', async () => {
    const two = createLocalTransport({ concurrency: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'heckler-local-cap-'));
    const results = await Promise.all(Array.from({ length: 6 }, () => two.exec(node, meetCommand(dir, 6))));
    expect(results.every((result) => result.status === 'ok')).toBe(true);
    expectPairs(results.map((result) => Number(result.stdout.trim())));
    await two.close();
    rmSync(dir, { recursive: true });
  });

  it('kills a command that ignores SIGTERM once the grace period is over', async () => {
    const result = await transport.exec(node, "trap '' TERM; sleep 30 & wait; sleep 30", { timeoutMs: 500 });
    expect(result.status).toBe('timed_out');
    expect(result.durationMs).toBeLessThan(4_000);
  });

  it('refuses new commands after close', async () => {
    const closing = createLocalTransport();
    await closing.close();
    expect(await closing.exec(node, 'true')).toMatchObject({
      status: 'unreachable',
      error: 'the transport is closed',
    });
  });
});
