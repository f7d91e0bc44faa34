import { createHash, randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type NodeSpec, type NodeTransport, withExecSignal } from '../../../src/engine/ports/transport.js';
import { startedPipe } from '../../support/started-pipe.js';

export interface ContractContext {
  transport: NodeTransport;
  node: NodeSpec;
  /** The same transport with an output cap of 1 MiB per stream. */
  capped: NodeTransport;
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

/**
 * For tests of a concurrency cap of 2, without guessing how long commands take to overlap: each of
 * `total` commands waits until a second one runs beside it (or every other one has finished: the
 * last may be alone), then prints how many ran at once. `dir` must be where every node sees it
 * (/tmp is shared by the SSH test nodes).
 */
export const meetCommand = (dir: string, total: number) =>
  [
    `mkdir -p ${dir}/run ${dir}/done; f=${dir}/run/$(hostname)-$$; touch $f`,
    `until n=$(ls ${dir}/run | wc -l); [ "$n" -ge 2 ] || [ "$(ls ${dir}/done | wc -l)" -ge ${total - 1} ]; do sleep 0.01; done`,
    `echo $n; touch ${dir}/done/$(hostname)-$$; rm $f`,
  ].join('; ');

/** Under a cap of 2: never more than two at once, and every command but perhaps the last had company. */
export const expectPairs = (counts: readonly number[]) => {
  expect(Math.max(...counts)).toBe(2);
  expect(counts.filter((count) => count === 2).length).toBeGreaterThanOrEqual(counts.length - 1);
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

    it('reaches commands that made a process group of their own, as Puppet under `timeout` does', async () => {
      const { transport, node } = context();
      const [inner, child] = [uniqueSleep(), uniqueSleep()];
      // `timeout` (without --foreground) moves itself and its command into a new process group.
      const result = await transport.exec(node, `timeout 600 sh -c '${child} & ${inner}'`, {
        timeoutMs: 1_000,
      });
      expect(result).toMatchObject({ status: 'timed_out', error: 'killed after the 1s timeout' });
      expect(await leftovers(context(), [inner, child])).toBe('');
    });

    it('stops a command when the caller aborts', async () => {
      const { transport, node } = context();
      const hung = uniqueSleep();
      const controller = new AbortController();
      const pipe = startedPipe();
      try {
        const running = transport.exec(node, `echo > ${pipe.path}; ${hung}`, {
          timeoutMs: 30_000,
          signal: controller.signal,
        });
        await pipe.started;
        controller.abort();
        const result = await running;
        expect(result).toMatchObject({ status: 'failed', error: 'cancelled while running' });
        expect(await leftovers(context(), [hung])).toBe('');
      } finally {
        pipe.remove();
      }
      const early = await transport.exec(node, 'true', { signal: AbortSignal.abort() });
      expect(early).toMatchObject({ status: 'unreachable', error: 'cancelled before it ran' });
    });

    it('stops the commands started within an aborted scope, however deep, and only those', async () => {
      const { transport, node } = context();
      const [inside, outside] = [uniqueSleep(), uniqueSleep()];
      const controller = new AbortController();
      const pipe = startedPipe();
      try {
        const other = transport.exec(node, `${outside}; echo survived`, { timeoutMs: 30_000 });
        const scoped = withExecSignal(controller.signal, async () => {
          // A layer in between that passes no signal, as the engine's node runs do.
          const first = await transport.exec(node, `echo > ${pipe.path}; ${inside}`, { timeoutMs: 30_000 });
          const after = await transport.exec(node, 'true');
          return [first, after];
        });
        await pipe.started;
        controller.abort();
        const [first, after] = await scoped;
        expect(first).toMatchObject({ status: 'failed', error: 'cancelled while running' });
        expect(after).toMatchObject({ status: 'unreachable', error: 'cancelled before it ran' });
        expect(await leftovers(context(), [inside, outside])).toBe(outside);
        // The command outside the scope runs on: end it and see that it was not the one stopped.
        await transport.exec(node, `pkill -x -f '${outside}'`);
        expect(await other).toMatchObject({ status: 'ok', stdout: 'survived\n' });
      } finally {
        pipe.remove();
      }
    });

    it('stops a command whose output goes over the cap, and leaves nothing of it running', async () => {
      const { capped, node } = context();
      const flood = `yes flood-${randomInt(1, 1_000_000)}`;
      const result = await capped.exec(node, flood);
      expect(result).toMatchObject({
        status: 'failed',
        exitCode: null,
        stderr: expect.stringContaining('[heckler: stdout over 1 MiB: stopped'),
      });
      expect(result.error).toBe(
        'output over 1 MiB on stdout: stopped, and the command was killed on the node (Heckler keeps at most 1 MiB per stream: find what prints so much)',
      );
      expect(result.stdout.length).toBe(64 * 1024);
      expect(await leftovers(context(), [flood])).toBe('');
    });

    it('checks a node by running `true`', async () => {
      const { transport, node } = context();
      expect(await transport.check(node)).toMatchObject({ node: node.name, status: 'ok', exitCode: 0 });
    });
  });
};
