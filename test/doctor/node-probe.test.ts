import { describe, expect, it } from 'vitest';
import { connectionResults, nodeProbeCommand, probeResults } from '../../src/doctor/node-probe.js';
import type { ExecResult, NodeSpec } from '../../src/engine/ports/transport.js';

const node: NodeSpec = {
  name: 'web1',
  transport: 'ssh',
  host: '10.0.0.7',
  port: 22,
  user: 'root',
  certname: 'web1.example.com',
  workDir: '/var/lib/heckler',
};
const puppet = { command: 'puppet', env: {} };

const exec = (stdout: string, status: ExecResult['status'] = 'ok'): ExecResult => ({
  node: 'web1',
  status,
  exitCode: status === 'ok' ? 0 : null,
  stdout,
  stderr: '',
  durationMs: 5,
});

const HEALTHY = [
  'git=git version 2.39.5',
  'timeout=/usr/bin/timeout',
  'puppet=7.23.0',
  'dir=/var/lib',
  'df=/dev/vda 264212084 24700588 81690324 24% /',
].join('\n');

const lineOf = (stdout: string, check: string, minFree?: number) =>
  probeResults(node, exec(stdout), puppet, minFree).find((r) => r.check === check);

describe("a node's tools and space", () => {
  it('a healthy node passes every line, saying what it found', () => {
    expect(probeResults(node, exec(HEALTHY), puppet)).toEqual([
      { subject: 'web1', check: 'git', ok: true, found: 'git version 2.39.5' },
      { subject: 'web1', check: 'timeout', ok: true, found: '/usr/bin/timeout' },
      { subject: 'web1', check: 'puppet', ok: true, found: 'puppet 7.23.0' },
      { subject: 'web1', check: 'free space', ok: true, found: '77.9 GiB free in /var/lib (on /)' },
    ]);
  });

  it.each([
    ['git missing', HEALTHY.replace('git=git version 2.39.5', 'git='), 'git', /install git on web1/],
    ['timeout missing', HEALTHY.replace('timeout=/usr/bin/timeout', 'timeout='), 'timeout', /coreutils/],
    ['puppet missing', HEALTHY.replace('puppet=7.23.0', 'puppet='), 'puppet', /puppet\.command/],
    [
      'puppet prints an error instead of a version',
      HEALTHY.replace('puppet=7.23.0', 'puppet=sh: 1: puppet: not found'),
      'puppet',
      /Puppet or OpenVox/,
    ],
    ['df says nothing', HEALTHY.replace(/df=.*/, 'df='), 'free space', /df works there/],
    ['df says nonsense', HEALTHY.replace(/df=.*/, 'df=a b c d e f'), 'free space', /df works there/],
  ])('%s: that line fails with advice', (_, stdout, check, advice) => {
    const line = lineOf(stdout, check);
    expect(line?.ok).toBe(false);
    expect(line?.advice).toMatch(advice);
  });

  it('little free space fails, with how much there is', () => {
    const line = lineOf(HEALTHY.replace(/df=.*/, 'df=/dev/vda 1000 900 100 90% /'), 'free space');
    expect(line).toMatchObject({ ok: false, found: '0.0 GiB free in /var/lib (on /)' });
    expect(line?.advice).toMatch(/at least 1\.0 GiB/);
    expect(lineOf(HEALTHY.replace(/df=.*/, 'df=/dev/vda 1000 900 100 90% /'), 'free space', 50_000)?.ok).toBe(
      true,
    );
  });

  it('hostile output: repeated keys keep the first, junk lines are ignored', () => {
    const stdout = `${HEALTHY}\ngit=git version 9.9.9-evil\n${'x'.repeat(100_000)}\n=\n`;
    expect(lineOf(stdout, 'git')?.found).toBe('git version 2.39.5');
  });

  it('a probe that did not run is one failed line', () => {
    const results = probeResults(node, { ...exec('', 'timed_out'), error: 'killed after 60 s' }, puppet);
    expect(results).toEqual([
      expect.objectContaining({ subject: 'web1', check: 'tools', ok: false, found: 'killed after 60 s' }),
    ]);
  });

  it('quotes the work dir and the puppet env into the command', () => {
    const command = nodeProbeCommand(
      { workDir: "/srv/it's here" },
      { command: 'openvox', env: { PATH: '/opt/x:$PATH' } },
    );
    expect(command).toContain(`d='/srv/it'\\''s here'`);
    expect(command).toContain(`env PATH='/opt/x:$PATH' openvox --version`);
  });
});

describe("a node's connection", () => {
  it('reached over ssh: reachable, and its host key matched', () => {
    expect(connectionResults(node, exec(''), '/etc/heckler/known_hosts')).toEqual([
      { subject: 'web1', check: 'reachable', ok: true, found: 'ssh root@10.0.0.7:22' },
      { subject: 'web1', check: 'host key', ok: true, found: 'matches /etc/heckler/known_hosts' },
    ]);
  });

  it('a local node has no host key line', () => {
    expect(connectionResults({ ...node, transport: 'local' }, exec(''))).toHaveLength(1);
  });

  it.each([
    ['HOST KEY CHANGED for [10.0.0.7]:22: the node presented …', 'host key', /ssh-keygen -lf/],
    ['host key of [10.0.0.7]:22 is not in /k; the node presented …', 'host key', /ssh-keygen -lf/],
    [
      'connection refused by 10.0.0.7:22: is sshd running and listening on that port?',
      'reachable',
      /10\.0\.0\.7:22/,
    ],
  ])('%s → one failed %s line', (error, check, advice) => {
    const results = connectionResults(node, { ...exec('', 'unreachable'), error }, '/k');
    expect(results).toEqual([
      { subject: 'web1', check, ok: false, found: error, advice: expect.stringMatching(advice) },
    ]);
  });
});
