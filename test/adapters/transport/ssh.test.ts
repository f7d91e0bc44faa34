import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSshTransport,
  type SshTransport,
  type SshTransportOptions,
} from '../../../src/adapters/transport/ssh.js';
import type { NodeSpec } from '../../../src/engine/ports/transport.js';
import { type Fleet, startFleet } from '../../support/fleet.js';
import { captureLogger } from '../../support/logger.js';
import { runOk, waitFor } from '../../support/process.js';
import { startedPipe } from '../../support/started-pipe.js';
import { expectPairs, meetCommand, transportContract } from './contract.js';

let fleet: Fleet;
let specs: NodeSpec[];
let transport: SshTransport;
let capped: SshTransport;
const transports: SshTransport[] = [];
const dir = mkdtempSync(join(tmpdir(), 'heckler-ssh-test-'));

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
const hostnames = async (t: SshTransport, nodes = specs) =>
  Promise.all(nodes.map((node) => t.exec(node, 'hostname')));
/** The SHA256 fingerprint of a node's real host key, as ssh-keygen prints it. */
const realFingerprint = async (name: string) =>
  (await runOk('ssh-keygen', ['-l', '-f', join(fleet.dir, 'nodes', name, 'hostkey.pub')])).stdout.split(
    ' ',
  )[1];
/** Logins sshd accepted on a node so far (its log is in the harness's directory). */
const logins = (name: string) =>
  readFileSync(join(fleet.dir, 'nodes', name, 'sshd.log'), 'utf8').split('Accepted publickey').length - 1;

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
  transport = make();
  capped = make({ maxOutputBytes: 1024 * 1024 });
}, 60_000);

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

transportContract('ssh', () => ({ transport, node: specs[0] as NodeSpec, capped }));

describe('ssh transport', () => {
  it('runs on every node in parallel, each answering with its own hostname', async () => {
    const results = await hostnames(transport);
    expect(results.map((r) => [r.node, r.status, r.stdout])).toEqual(
      specs.map((s) => [s.name, 'ok', `${s.name}\n`]),
    );
  });

  it('reuses one connection per node across calls', async () => {
    const fresh = make();
    const before = specs.map((s) => logins(s.name));
    for (let round = 0; round < 4; round++) {
      expect((await hostnames(fresh)).every((r) => r.status === 'ok')).toBe(true);
    }
    await Promise.all(Array.from({ length: 6 }, () => fresh.exec(spec('node1'), 'true')));
    expect(fresh.stats()).toEqual({ connects: 3, open: 3 });
    expect(specs.map((s, i) => logins(s.name) - (before[i] as number))).toEqual([1, 1, 1]);
  });

  it('refuses a node whose host key changed, showing the key it presented, while the others work', async () => {
    const wrong = make({ knownHostsPath: fleet.wrongHostKeyKnownHosts('node2') });
    const [one, two, three] = await hostnames(wrong);
    expect(one?.status).toBe('ok');
    expect(three?.status).toBe('ok');
    expect(two).toMatchObject({ node: 'node2', status: 'unreachable', exitCode: null, stdout: '' });
    expect(two?.error).toMatch(
      /^HOST KEY CHANGED for \[127\.0\.0\.1\]:\d+: the node presented ssh-ed25519 key SHA256:/,
    );
    expect(two?.error).toContain(`presented ssh-ed25519 key ${await realFingerprint('node2')}`);
    expect(two?.error).toContain(`ssh-keyscan -p ${spec('node2').port} 127.0.0.1`);
  });

  it('refuses unknown host keys in strict mode, with the fingerprint and how to add it', async () => {
    const empty = join(dir, 'known_hosts.empty');
    writeFileSync(empty, '');
    const [result] = await hostnames(make({ knownHostsPath: empty }), [spec('node1')]);
    expect(result?.status).toBe('unreachable');
    expect(result?.error).toContain(`host key of [127.0.0.1]:${spec('node1').port} is not in ${empty}`);
    expect(result?.error).toContain(`the node presented ssh-ed25519 key ${await realFingerprint('node1')}`);
    expect(result?.error).toContain(`ssh-keyscan -p ${spec('node1').port} 127.0.0.1 >> ${empty}`);
    expect(result?.error).toContain('fleet.ssh.hostKeys: accept-new');
    expect(readFileSync(empty, 'utf8')).toBe('');
  });

  it('accept-new records unknown keys on first contact, but still refuses a changed one', async () => {
    const path = join(dir, 'accept-new', 'known_hosts');
    const log = captureLogger();
    const results = await hostnames(
      make({ knownHostsPath: path, hostKeys: 'accept-new', logger: log.logger }),
    );
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    const recorded = readFileSync(path, 'utf8').trim().split('\n').sort();
    expect(recorded).toEqual(readFileSync(fleet.knownHostsPath, 'utf8').trim().split('\n').sort());
    expect(log.text()).toContain('accepted new host key');
    // the recorded keys satisfy strict checking from now on
    expect((await hostnames(make({ knownHostsPath: path }))).map((r) => r.status)).toEqual([
      'ok',
      'ok',
      'ok',
    ]);

    const wrong = join(dir, 'known_hosts.wrong');
    copyFileSync(fleet.wrongHostKeyKnownHosts('node3'), wrong);
    const before = readFileSync(wrong, 'utf8');
    const [, , three] = await hostnames(make({ knownHostsPath: wrong, hostKeys: 'accept-new' }));
    expect(three?.status).toBe('unreachable');
    expect(three?.error).toMatch(/^HOST KEY CHANGED/);
    expect(three?.error).toContain(await realFingerprint('node3'));
    expect(readFileSync(wrong, 'utf8')).toBe(before);
  });

  it('reports a stopped node as unreachable without hurting the others, and reconnects when it is back', async () => {
    const t = make();
    expect((await hostnames(t)).map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    const pipe = startedPipe();
    const cut = t.exec(spec('node3'), `echo started; echo > ${pipe.path}; sleep 30`, { timeoutMs: 60_000 });
    await pipe.started;
    pipe.remove();
    await fleet.stopNode('node3');
    try {
      // A command the node took with it: it ran, and nobody can say how it ended.
      expect(await cut).toMatchObject({ status: 'failed', exitCode: null, stdout: 'started\n' });
      expect((await cut).error).toMatch(
        /^(the connection was lost while the command ran; its outcome is unknown|killed by SIGTERM)$/,
      );
      const [one, two, three] = await hostnames(t);
      expect([one?.stdout, two?.stdout]).toEqual(['node1\n', 'node2\n']);
      expect(three).toMatchObject({ node: 'node3', status: 'unreachable' });
      expect(three?.error).toBe(
        `connection refused by 127.0.0.1:${spec('node3').port}: is sshd running and listening on that port?`,
      );
    } finally {
      await fleet.startNode('node3');
    }
    const back = await t.exec(spec('node3'), 'hostname');
    expect(back).toMatchObject({ status: 'ok', stdout: 'node3\n' });
    expect(t.stats()).toEqual({ connects: 4, open: 3 });
  });

  it('never runs more than `concurrency` commands at once across all nodes', async () => {
    const two = make({ concurrency: 2 });
    // /tmp is shared by the nodes (only /data is their own): one counter directory for the whole fleet.
    const command = meetCommand(join(dir, 'running'), 10);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => two.exec(specs[i % 3] as NodeSpec, command)),
    );
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expectPairs(results.map((r) => Number(r.stdout.trim())));
  });

  it('names the reason when a node cannot be reached: DNS, login refused, no key, silence', async () => {
    const silent: Socket[] = [];
    const server: Server = createServer((socket) => silent.push(socket)); // accepts, never speaks
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const t = make({ connectTimeoutMs: 700 });
    const node1 = spec('node1');
    const impostorKey = join(fleet.dir, 'keys', 'impostor');
    const [dns, login, noKey, quiet] = await Promise.all([
      t.exec({ ...node1, name: 'ghost', host: 'no-such-host.invalid' }, 'true'),
      t.exec({ ...node1, name: 'wrong-key', keyPath: impostorKey }, 'true'),
      t.exec({ ...node1, name: 'no-key', keyPath: join(dir, 'missing-key') }, 'true'),
      t.exec({ ...node1, name: 'silent', port }, 'true'),
    ]);
    for (const socket of silent) socket.destroy();
    server.close();
    expect(dns?.error).toBe(
      "cannot resolve host name 'no-such-host.invalid' (DNS): check fleet.nodes.ghost.host",
    );
    expect(login?.error).toBe(
      `ssh login as 'root' on 127.0.0.1:${node1.port} was refused with key ${impostorKey}: is its public key in ~root/.ssh/authorized_keys on the node?`,
    );
    expect(noKey?.error).toMatch(/^cannot read the ssh key .*missing-key: ENOENT/);
    expect(quiet?.error).toBe(
      `no answer from 127.0.0.1:${port} within 0.7s: the node is down, unreachable, or overloaded`,
    );
    for (const result of [dns, login, noKey, quiet]) expect(result?.status).toBe('unreachable');
  });

  it('escalates to SIGKILL on the node for a command that ignores SIGTERM', async () => {
    const marker = `sleep ${700_000 + process.pid}`;
    const result = await transport.exec(spec('node1'), `trap '' TERM; ${marker}`, { timeoutMs: 1_000 });
    expect(result.status).toBe('timed_out');
    expect(result.durationMs).toBeLessThan(4_000); // our grace (2 s here), not the node's kill-after
    // after our SIGTERM, the node's `timeout` sends SIGKILL at its own deadline (or 5 s later at most)
    const gone = async () =>
      (await transport.exec(spec('node1'), `ps -eo args= | grep -x '${marker}' || true`)).stdout;
    await waitFor(async () => (await gone()) === '', {
      timeoutMs: 10_000,
      intervalMs: 250,
      what: 'the SIGKILL',
    });
  });

  it('carries large output back intact', async () => {
    const result = await transport.exec(spec('node2'), 'head -c 3000000 /dev/zero | tr "\\0" x');
    expect(result.stdout.length).toBe(3_000_000);
  });

  it('runs the command through sh whatever it contains, without the login shell re-reading it', async () => {
    const weird = `printf '%s\\n' "it's" '$HOME' "a\\"b"; echo "$0"`;
    const result = await transport.exec(spec('node1'), weird);
    expect(result.stdout).toBe(`it's\n$HOME\na"b\nsh\n`);
  });

  it('ends every connection on close and refuses to run afterwards', async () => {
    const t = make();
    await hostnames(t);
    await t.close();
    expect(t.stats().open).toBe(0);
    expect(await t.exec(spec('node1'), 'true')).toMatchObject({
      status: 'unreachable',
      error: 'the ssh transport is closed',
    });
    expect(existsSync(fleet.knownHostsPath)).toBe(true);
  });

  it('sends random binary stdin to several nodes at once', async () => {
    const input = randomBytes(1024 * 1024);
    const results = await Promise.all(specs.map((node) => transport.exec(node, 'wc -c', { stdin: input })));
    expect(results.map((r) => r.stdout.trim())).toEqual(['1048576', '1048576', '1048576']);
  });
});
