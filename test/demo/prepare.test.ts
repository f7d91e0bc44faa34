import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoDefaults, fillMissing } from '../../src/demo/config.js';
import { commandExists, puppetMissingNotice } from '../../src/demo/preflight.js';
import { createDemoRepo, prepareDemo } from '../../src/demo/repo.js';
import { testConfig } from '../support/config.js';

describe('prepareDemo', () => {
  it('makes the repository and node folders once, and leaves them alone after that', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'heckler-prepare-')), 'demo');
    const first = await prepareDemo(dir);
    expect(first).toEqual({
      repo: `${dir}/repo`,
      createdRepo: true,
      createdNodes: ['demo1', 'demo2', 'demo3'],
    });
    expect(readdirSync(dir).sort()).toEqual(['nodes', 'repo']);
    expect(readdirSync(join(dir, 'nodes/demo2/files')).sort()).toEqual(['app.conf', 'motd']);
    const head = execFileSync('git', ['-C', `${dir}/repo`, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
    expect(execFileSync('git', ['-C', `${dir}/repo`, 'status', '--porcelain'], { encoding: 'utf8' })).toBe(
      '',
    );

    // The user's own changes survive a restart.
    writeFileSync(join(dir, 'nodes/demo2/files/motd'), 'mine\n');
    const again = await prepareDemo(dir);
    expect(again).toEqual({ repo: `${dir}/repo`, createdRepo: false, createdNodes: [] });
    expect(readFileSync(join(dir, 'nodes/demo2/files/motd'), 'utf8')).toBe('mine\n');
    expect(execFileSync('git', ['-C', `${dir}/repo`, 'rev-parse', 'HEAD'], { encoding: 'utf8' })).toBe(head);
  });

  it('writes only paths under the demo directory into the manifests', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'heckler-prepare-')), 'demo');
    await createDemoRepo(dir);
    const manifests = execFileSync(
      'git',
      ['-C', `${dir}/repo`, 'grep', '-h', '-o', '"/[^"]*"', 'v2', '--', '*.pp'],
      {
        encoding: 'utf8',
      },
    );
    const paths = manifests.split('\n').filter((line) => line !== '');
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect(path.startsWith(`"${dir}/nodes/`), path).toBe(true);
  });

  it('refuses a directory that is not a plain absolute path', async () => {
    await expect(createDemoRepo('/tmp/a b')).rejects.toThrow(/plain absolute path/);
  });
});

describe('demo config', () => {
  it('maps only the demo authors that have a user of the same name', () => {
    const defaults = demoDefaults('/srv/demo', { U0A: 'alice', U0X: 'xavier', U0D: 'dave' });
    expect(defaults.approvals).toEqual({
      owners: { '@alice': 'U0A', '@dave': 'U0D' },
      people: { 'alice@example.com': 'U0A', 'dave@example.com': 'U0D' },
    });
  });

  it('fillMissing keeps what is given, merges objects, and fills nulls standing for defaults', () => {
    expect(
      fillMissing(
        { a: 1, b: { c: null, d: [1] }, e: null },
        { a: 2, b: { c: { x: 1 }, d: [2], f: 3 }, e: 'x' },
      ),
    ).toEqual({ a: 1, b: { c: { x: 1 }, d: [1], f: 3 }, e: null });
  });
});

describe('puppetMissingNotice', () => {
  const local = testConfig({
    repo: { url: '/srv/repo' },
    puppet: { command: 'openvox' },
    fleet: { nodes: { web1: null, demo1: { transport: 'local', workDir: '/srv/demo/nodes/demo1' } } },
  });

  it('says how to install Puppet when a local node needs it and it is not here', () => {
    expect(puppetMissingNotice(local, () => false)).toBe(
      'openvox is not installed on this machine: `sudo apt-get install puppet` (Debian/Ubuntu) or install openvox; the Puppet commands will fail until then',
    );
    expect(puppetMissingNotice(local, (command) => command === 'openvox')).toBeUndefined();
  });

  it('says nothing without a repository or without local nodes', () => {
    const { repo: _, ...noRepo } = local;
    expect(puppetMissingNotice(noRepo, () => false)).toBeUndefined();
    const ssh = testConfig({ repo: { url: '/srv/repo' }, fleet: { nodes: { web1: null } } });
    expect(puppetMissingNotice(ssh, () => false)).toBeUndefined();
  });

  it('looks commands up as sh does', () => {
    expect(commandExists('sh', { PATH: process.env.PATH ?? '' })).toBe(true);
    expect(commandExists('heckler-no-such-command', { PATH: process.env.PATH ?? '' })).toBe(false);
  });
});
