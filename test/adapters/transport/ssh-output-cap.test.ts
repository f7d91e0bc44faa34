import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OUTPUT_BYTES } from '../../../src/adapters/transport/output.js';
import {
  createSshTransport,
  type SshTransport,
  type SshTransportOptions,
} from '../../../src/adapters/transport/ssh.js';
import type { NodeSpec } from '../../../src/engine/ports/transport.js';
import { type Fleet, startFleet } from '../../support/fleet.js';
import { captureLogger } from '../../support/logger.js';

/**
 * A node that floods us with output must neither take the bot's memory nor hold up the other
 * nodes: each stream keeps at most the cap, and past it the command is stopped on the node.
 * (node-ssh's execCommand kept every chunk: 400 MiB from one node took the bot from 83 to 545 MiB
 * RSS, 600 MiB crashed it with `RangeError: Invalid string length`.)
 */
const MiB = 1024 * 1024;
let fleet: Fleet;
let specs: NodeSpec[];
const transports: SshTransport[] = [];

const make = (options: Partial<SshTransportOptions> = {}) => {
  const made = createSshTransport({
    knownHostsPath: fleet.knownHostsPath,
    hostKeys: 'strict',
    concurrency: 20,
    connectTimeoutMs: 5_000,
    keepaliveMs: 10_000,
    logger: captureLogger().logger,
    killGraceMs: 2_000,
    ...options,
  });
  transports.push(made);
  return made;
};
const spec = (name: string): NodeSpec => specs.find((s) => s.name === name) as NodeSpec;

/** A `yes` nobody else runs, so `ps` on the node finds exactly ours. */
const uniqueYes = () => `yes flood-${process.pid}-${randomInt(1, 1_000_000)}`;
/** Processes on the node whose command line is exactly `line`, seen by the system ssh client. */
const running = async (node: string, line: string) =>
  (await fleet.ssh(node, `ps -eo args= | grep -x '${line}' || true`)).stdout.trim();

/** Peak RSS while `work` runs, sampled on a short interval (the event loop stays responsive if we stream). */
const peakRss = async <T>(work: () => Promise<T>): Promise<{ value: T; baseline: number; peak: number }> => {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const sampler = setInterval(sample, 5);
  try {
    const value = await work();
    sample();
    return { value, baseline, peak };
  } finally {
    clearInterval(sampler);
  }
};

beforeAll(async () => {
  fleet = await startFleet({ nodes: 3 });
  specs = fleet.nodes.map((node) => ({
    name: node.name,
    transport: 'ssh',
    host: node.host,
    port: node.port,
    user: node.user,
    keyPath: fleet.privateKeyPath,
    certname: node.certname,
    workDir: '/data/heckler',
  }));
}, 60_000);

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await fleet?.stop();
});

describe('ssh output cap', () => {
  it('stops a node printing 1 GiB at the cap while the bot stays within 64 MiB and the others answer', async () => {
    const transport = make();
    // Connect first, so the baseline includes the connections and the measure is the output alone.
    await Promise.all(specs.map((node) => transport.exec(node, 'true')));
    const { value, baseline, peak } = await peakRss(() =>
      Promise.all([
        transport.exec(spec('node1'), 'head -c 1073741824 /dev/zero', { timeoutMs: 120_000 }),
        transport.exec(spec('node2'), 'hostname; seq 1 200000'),
        transport.exec(spec('node3'), 'head -c 3000000 /dev/zero | tr "\\0" x'),
      ]),
    );
    const [big, two, three] = value;
    expect(peak - baseline, `RSS went from ${baseline} to ${peak}`).toBeLessThan(64 * MiB);
    expect(big).toMatchObject({ node: 'node1', status: 'failed', exitCode: null });
    expect(big?.error).toBe(
      `output over ${MAX_OUTPUT_BYTES / MiB} MiB on stdout: stopped, and the command was killed on the node (Heckler keeps at most ${MAX_OUTPUT_BYTES / MiB} MiB per stream: find what prints so much)`,
    );
    // Only the start is kept: the run failed, and its first 64 KiB say enough about why.
    expect(big?.stdout).toBe('\0'.repeat(64 * 1024));
    expect(big?.stderr).toContain(`[heckler: stdout over ${MAX_OUTPUT_BYTES / MiB} MiB: stopped`);
    expect(big?.durationMs).toBeLessThan(60_000);
    const numbers = Array.from({ length: 200_000 }, (_, i) => i + 1).join('\n');
    expect(two).toMatchObject({ status: 'ok', stdout: `node2\n${numbers}\n`, stderr: '' });
    expect(three).toMatchObject({ status: 'ok', stderr: '' });
    expect(three?.stdout).toBe('x'.repeat(3_000_000));
  }, 180_000);

  it('caps stderr as well, and leaves nothing of the command running on the node', async () => {
    const transport = make({ maxOutputBytes: MiB });
    const [flood, other] = [uniqueYes(), uniqueYes()];
    const [err, out] = await Promise.all([
      transport.exec(spec('node2'), `${flood} >&2`),
      transport.exec(spec('node3'), `${other} | head -c ${MiB}; ${other}`),
    ]);
    expect(err).toMatchObject({ status: 'failed', stdout: '' });
    expect(err.error).toMatch(
      /^output over 1 MiB on stderr: stopped, and the command was killed on the node/,
    );
    expect(out.error).toMatch(/^output over 1 MiB on stdout: stopped/);
    // The stop ends once the node's process group is gone: the channel closes when it exits.
    expect(await running('node2', flood)).toBe('');
    expect(await running('node3', other)).toBe('');
    // Exactly the cap is not over it.
    const full = await transport.exec(spec('node1'), `head -c ${MiB} /dev/zero`);
    expect(full).toMatchObject({ status: 'ok', stderr: '' });
    expect(full.stdout.length).toBe(MiB);
  }, 60_000);

  it('still streams several MB of stdin to a command that answers with little', async () => {
    const transport = make({ maxOutputBytes: MiB });
    const input = Buffer.alloc(8 * MiB, 'a');
    const results = await Promise.all(specs.map((node) => transport.exec(node, 'wc -c', { stdin: input })));
    expect(results.map((r) => [r.status, r.stdout.trim()])).toEqual([
      ['ok', String(8 * MiB)],
      ['ok', String(8 * MiB)],
      ['ok', String(8 * MiB)],
    ]);
  }, 60_000);
});
