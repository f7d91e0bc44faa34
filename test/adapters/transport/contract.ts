import { createHash, randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NodeSpec, NodeTransport } from '../../../src/engine/ports/transport.js';

export interface ContractContext {
  transport: NodeTransport;
  node: NodeSpec;
}

/** A `sleep` nobody else runs, so `ps` on the node finds exactly ours. */
const uniqueSleep = () => `sleep ${600_000 + randomInt(1, 99_999)}`;

/** Processes on the node whose whole command line is `line`, seen by a fresh command. */
const leftovers = async ({ transport, node }: ContractContext, lines: string[]) => {
  const pattern = lines.map((line) => `-e '^${line}$'`).join(' ');
  const result = await transport.exec(node, `ps -eo args= | grep -x ${pattern} || true`);
  expect(result.status).toBe('ok');
  return result.stdout.trim();
};

/** What every NodeTransport must do, run against each implementation (local, ssh). */
export const transportContract = (name: string, context: () => ContractContext) => {
  describe(`${name} transport contract`, () => {
    it('runs a command: stdout and stderr apart, status from the exit code', async () => {
      const { transport, node } = context();
      const ok = await transport.exec(node, 'echo out; echo err >&2');
      expect(ok).toMatchObject({
        node: node.name,
        status: 'ok',
        exitCode: 0,
        stdout: 'out\n',
        stderr: 'err\n',
      });
      expect(ok.error).toBeUndefined();
      expect(ok.durationMs).toBeGreaterThanOrEqual(0);
      const failed = await transport.exec(node, 'echo partial; exit 3');
      expect(failed).toMatchObject({ status: 'failed', exitCode: 3, stdout: 'partial\n' });
    });

    it('keeps multi-byte UTF-8 whole across chunk boundaries', async () => {
      const { transport, node } = context();
      const result = await transport.exec(node, `for i in $(seq 1 20000); do printf 'héllo✓'; done`);
      expect(result.stdout).toBe('héllo✓'.repeat(20000));
    });

    it('streams ~5 MB of stdin intact', async () => {
      const { transport, node } = context();
      const input = randomBytes(5 * 1024 * 1024 + 17);
      const result = await transport.exec(node, 'sha256sum', { stdin: input, timeoutMs: 60_000 });
      expect(result.status).toBe('ok');
      expect(result.stdout.split(' ')[0]).toBe(createHash('sha256').update(input).digest('hex'));
    });

    it('takes stdin as a string, and gives EOF when there is none', async () => {
      const { transport, node } = context();
      expect((await transport.exec(node, 'cat', { stdin: 'hello\n' })).stdout).toBe('hello\n');
      const none = await transport.exec(node, 'cat; echo done', { timeoutMs: 5_000 });
      expect(none).toMatchObject({ status: 'ok', stdout: 'done\n' });
    });

    it('times out a hung command and leaves nothing of it running, children included', async () => {
      const { transport, node } = context();
      const [hung, child] = [uniqueSleep(), uniqueSleep()];
      const result = await transport.exec(node, `${child} & ${hung}`, { timeoutMs: 1_000 });
      expect(result).toMatchObject({ status: 'timed_out', error: 'killed after the 1s timeout' });
      expect(result.durationMs).toBeGreaterThanOrEqual(1_000);
      expect(result.durationMs).toBeLessThan(4_000);
      expect(await leftovers(context(), [hung, child])).toBe('');
    });

    it('stops a command when the caller aborts', async () => {
      const { transport, node } = context();
      const hung = uniqueSleep();
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const result = await transport.exec(node, hung, { timeoutMs: 30_000, signal: controller.signal });
      expect(result).toMatchObject({ status: 'failed', error: 'cancelled while running' });
      expect(result.durationMs).toBeLessThan(3_000);
      expect(await leftovers(context(), [hung])).toBe('');
      const early = await transport.exec(node, 'true', { signal: AbortSignal.abort() });
      expect(early).toMatchObject({ status: 'unreachable', error: 'cancelled before it ran' });
    });

    it('checks a node by running `true`', async () => {
      const { transport, node } = context();
      expect(await transport.check(node)).toMatchObject({ node: node.name, status: 'ok', exitCode: 0 });
    });
  });
};
