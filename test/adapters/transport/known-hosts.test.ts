import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostKeyAlgorithms, verifyHostKey } from '../../../src/adapters/transport/host-keys.js';
import {
  fingerprint,
  hostKeyName,
  keyType,
  knownHostsLine,
  matchesHost,
  parseKnownHosts,
} from '../../../src/adapters/transport/known-hosts.js';
import { runOk } from '../../support/process.js';

/** An ed25519 public key in SSH wire format, as ssh2 hands it to hostVerifier. */
const sshEd25519Blob = (): Buffer => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const string = (value: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, value.length]), value]);
  return Buffer.concat([string(Buffer.from('ssh-ed25519')), string(raw)]);
};
const node1 = sshEd25519Blob();
const node2 = sshEd25519Blob();
const impostor = sshEd25519Blob();
const b64 = (blob: Buffer) => blob.toString('base64');

const dir = mkdtempSync(join(tmpdir(), 'heckler-known-hosts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const knownHosts = (text: string) => {
  const path = join(dir, `known_hosts.${files++}`);
  writeFileSync(path, text);
  return path;
};

describe('known_hosts parsing and matching', () => {
  it('reads entries with markers and line numbers, skipping comments and junk', () => {
    const entries = parseKnownHosts(
      `# comment\n\nweb1,web2 ssh-ed25519 ${b64(node1)} a comment\n@revoked * ssh-ed25519 ${b64(impostor)}\n@bogus x ssh-rsa AAAA\nonly-two-fields ssh-rsa\n`,
    );
    expect(entries).toEqual([
      { hosts: 'web1,web2', keyType: 'ssh-ed25519', key: b64(node1), line: 3 },
      { marker: 'revoked', hosts: '*', keyType: 'ssh-ed25519', key: b64(impostor), line: 4 },
    ]);
  });

  it.each([
    ['web1', 'web1', 22, true],
    ['WEB1', 'web1', 22, true],
    ['web1', 'web1', 2222, false], // a plain name only covers port 22, as in OpenSSH
    ['[web1]:2222', 'web1', 2222, true],
    ['[web1]:2222', 'web1', 22, false],
    ['web2,web1', 'web1', 22, true],
    ['*.example.com', 'a.example.com', 22, true],
    ['web?', 'web1', 22, true],
    ['*,!web1', 'web1', 22, false],
    ['*,!web1', 'web2', 22, true],
    ['[127.0.0.1]:*', '127.0.0.1', 4000, true],
  ])('%s covers %s port %d: %s', (hosts, host, port, expected) => {
    expect(matchesHost(hosts, hostKeyName(host, port))).toBe(expected);
  });

  it('matches hashed entries written by ssh-keygen -H', async () => {
    const path = knownHosts(`web1 ssh-ed25519 ${b64(node1)}\n[127.0.0.1]:2222 ssh-ed25519 ${b64(node2)}\n`);
    await runOk('ssh-keygen', ['-q', '-H', '-f', path]);
    const entries = parseKnownHosts(readFileSync(path, 'utf8'));
    expect(entries.every((entry) => entry.hosts.startsWith('|1|'))).toBe(true);
    expect(entries.filter((e) => matchesHost(e.hosts, 'web1')).map((e) => e.key)).toEqual([b64(node1)]);
    expect(entries.filter((e) => matchesHost(e.hosts, '[127.0.0.1]:2222')).map((e) => e.key)).toEqual([
      b64(node2),
    ]);
    expect(entries.filter((e) => matchesHost(e.hosts, 'web2'))).toEqual([]);
  });

  it('prints fingerprints exactly as ssh-keygen does', async () => {
    const path = knownHosts(`${knownHostsLine('web1', 22, node1)}\n`);
    const { stdout } = await runOk('ssh-keygen', ['-l', '-f', path]);
    expect(stdout).toContain(fingerprint(node1));
    expect(keyType(node1)).toBe('ssh-ed25519');
    expect(knownHostsLine('h', 2222, node1)).toBe(`[h]:2222 ssh-ed25519 ${b64(node1)}`);
  });
});

describe('verifyHostKey', () => {
  const pinned = `[127.0.0.1]:2222 ssh-ed25519 ${b64(node1)}\nweb2 ssh-ed25519 ${b64(node2)}\n`;

  it('accepts the pinned key, on a custom port and on port 22', () => {
    const policy = { knownHostsPath: knownHosts(pinned), mode: 'strict' as const };
    expect(verifyHostKey(policy, '127.0.0.1', 2222, node1)).toEqual({ ok: true });
    expect(verifyHostKey(policy, 'web2', 22, node2)).toEqual({ ok: true });
  });

  it('refuses an unknown key in strict mode, showing its fingerprint and what to do', () => {
    const path = knownHosts(pinned);
    const verdict = verifyHostKey({ knownHostsPath: path, mode: 'strict' }, 'web3', 2200, node1);
    expect(verdict.ok).toBe(false);
    const reason = verdict.ok ? '' : verdict.reason;
    expect(reason).toContain(`host key of [web3]:2200 is not in ${path}`);
    expect(reason).toContain(`ssh-ed25519 key ${fingerprint(node1)}`);
    expect(reason).toContain(`ssh-keyscan -p 2200 web3 >> ${path}`);
    expect(reason).toContain('fleet.ssh.hostKeys: accept-new');
    expect(readFileSync(path, 'utf8')).toBe(pinned);
  });

  it('records an unknown key in accept-new mode, and knows it from then on', () => {
    const path = knownHosts('# fleet keys\n[127.0.0.1]:2222 ssh-ed25519 AAAAnoNewlineAtEnd');
    const policy = { knownHostsPath: path, mode: 'accept-new' as const };
    expect(verifyHostKey(policy, 'web3', 2200, node2)).toEqual({
      ok: true,
      recorded: `[web3]:2200 ssh-ed25519 ${b64(node2)}`,
    });
    expect(readFileSync(path, 'utf8').split('\n').at(-2)).toBe(`[web3]:2200 ssh-ed25519 ${b64(node2)}`);
    expect(verifyHostKey({ ...policy, mode: 'strict' }, 'web3', 2200, node2)).toEqual({ ok: true });
  });

  it('creates a missing known_hosts (and its directory) in accept-new mode', () => {
    const path = join(dir, 'new', 'dir', 'known_hosts');
    expect(verifyHostKey({ knownHostsPath: path, mode: 'accept-new' }, 'web1', 22, node1).ok).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`web1 ssh-ed25519 ${b64(node1)}\n`);
  });

  it.each(['strict', 'accept-new'] as const)(
    'refuses a changed key in %s mode and says which line expects what',
    (mode) => {
      const path = knownHosts(pinned);
      const verdict = verifyHostKey({ knownHostsPath: path, mode }, '127.0.0.1', 2222, impostor);
      expect(verdict.ok).toBe(false);
      const reason = verdict.ok ? '' : verdict.reason;
      expect(reason).toMatch(/^HOST KEY CHANGED for \[127\.0\.0\.1\]:2222/);
      expect(reason).toContain(`the node presented ssh-ed25519 key ${fingerprint(impostor)}`);
      expect(reason).toContain(`expects ssh-ed25519 ${fingerprint(node1)} (line 1)`);
      expect(reason).toContain(`ssh-keygen -R '[127.0.0.1]:2222' -f ${path}`);
      expect(readFileSync(path, 'utf8')).toBe(pinned);
    },
  );

  it('refuses a key marked @revoked even if it is also pinned', () => {
    const path = knownHosts(`${pinned}@revoked * ssh-ed25519 ${b64(node2)}\n`);
    const verdict = verifyHostKey({ knownHostsPath: path, mode: 'accept-new' }, 'web2', 22, node2);
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining('@revoked') });
  });

  it('offers the algorithms of pinned keys first', () => {
    const path = knownHosts(`web1 ssh-rsa AAAA\nweb2 ecdsa-sha2-nistp256 AAAA\n`);
    const policy = { knownHostsPath: path, mode: 'strict' as const };
    expect(hostKeyAlgorithms(policy, 'web1', 22).slice(0, 3)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
    expect(hostKeyAlgorithms(policy, 'web2', 22)[0]).toBe('ecdsa-sha2-nistp256');
    expect(hostKeyAlgorithms(policy, 'web3', 22)[0]).toBe('ssh-ed25519');
    expect(new Set(hostKeyAlgorithms(policy, 'web1', 22)).size).toBe(7);
  });
});
