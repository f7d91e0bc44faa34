import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeSSH } from 'node-ssh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../support/fleet.js';
import { processesByMountNamespace } from '../support/process.js';

describe('startFleet', { timeout: 30_000 }, () => {
  let fleet: Fleet;

  beforeAll(async () => {
    fleet = await startFleet({ nodes: ['alpha', 'beta'] });
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('gives every node its own hostname, port and /data', async () => {
    expect(fleet.nodes.map((node) => node.name)).toEqual(['alpha', 'beta']);
    expect(new Set(fleet.nodes.map((node) => node.port)).size).toBe(2);
    for (const node of fleet.nodes) {
      expect(node).toMatchObject({ host: '127.0.0.1', user: 'root', certname: `${node.name}.example.com` });
      const result = await fleet.ssh(node, `hostname && echo "written by $(hostname)" > /data/who`);
      expect(result.stdout.trim()).toBe(node.name);
      expect(readFileSync(join(node.dataDir, 'who'), 'utf8')).toBe(`written by ${node.name}\n`);
    }
    // host paths outside /data are shared, which is how nodes clone fixture repos under /tmp
    const shared = await fleet.ssh('alpha', `cat ${fleet.knownHostsPath} | wc -l`);
    expect(shared.stdout.trim()).toBe('2');
  });

  it('pins every host key in known_hosts, so strict checking passes', () => {
    const lines = readFileSync(fleet.knownHostsPath, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const [index, node] of fleet.nodes.entries()) {
      expect(lines[index]).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${node.port} ssh-ed25519 AAAA\\S+$`));
    }
    expect(new Set(lines.map((line) => line.split(' ')[2])).size).toBe(2); // each node its own key
  });

  it('refuses a node whose host key does not match', async () => {
    const wrong = fleet.wrongHostKeyKnownHosts('beta');
    const refused = await fleet.ssh('beta', 'hostname', { knownHostsPath: wrong });
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(refused.stderr).toContain('Host key verification failed.');
    const other = await fleet.ssh('alpha', 'hostname', { knownHostsPath: wrong });
    expect(other.stdout.trim()).toBe('alpha');
  });

  it('speaks to node-ssh (ssh2), the production transport, with the host key checked', async () => {
    const node = fleet.node('beta');
    const pinned = readFileSync(fleet.knownHostsPath, 'utf8')
      .split('\n')
      .find((line) => line.startsWith(`[127.0.0.1]:${node.port} `))
      ?.split(' ')[2];
    const connect = (verify: (key: Buffer) => boolean) =>
      new NodeSSH().connect({
        host: node.host,
        port: node.port,
        username: node.user,
        privateKeyPath: fleet.privateKeyPath,
        hostVerifier: verify,
        readyTimeout: 5_000,
      });
    const ssh = await connect((key) => key.toString('base64') === pinned);
    try {
      expect((await ssh.execCommand('hostname')).stdout).toBe('beta');
    } finally {
      ssh.dispose();
    }
    await expect(connect(() => false)).rejects.toThrow(/verification failed/i);
  });

  it('stops one node (and what runs in it) while the others keep answering, and starts it again', async () => {
    await fleet.ssh('alpha', 'nohup sleep 600 >/dev/null 2>&1 &');
    await fleet.stopNode('alpha');
    const down = await fleet.ssh('alpha', 'hostname');
    expect(down.code).toBe(255);
    expect(down.stderr).toContain('Connection refused');
    expect((await fleet.ssh('beta', 'hostname')).stdout.trim()).toBe('beta');

    await fleet.startNode('alpha');
    const back = await fleet.ssh('alpha', 'hostname; cat /data/who');
    expect(back.stdout).toBe('alpha\nwritten by alpha\n');
  });

  it('stop() leaves no process behind, even one started in the background on a node', async () => {
    const own = await startFleet({ nodes: 1 });
    await own.ssh('node1', 'nohup sleep 600 >/dev/null 2>&1 &');
    const namespace = (await own.ssh('node1', 'readlink /proc/self/ns/mnt')).stdout.trim();
    expect(processesByMountNamespace().get(namespace)?.length).toBeGreaterThan(1);
    await own.stop();
    expect(processesByMountNamespace().get(namespace)).toBeUndefined();
    expect(existsSync(own.dir)).toBe(false);
  });
});
