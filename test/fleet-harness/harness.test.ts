import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Fleet, type FleetNode, startFleet } from '../support/fleet.js';
import type { RunResult } from '../support/process.js';
import {
  checkoutCommand,
  createPuppetRepo,
  type PuppetRepoFixture,
  puppetApplyCommand,
} from '../support/puppet-repo.js';

interface PuppetRun extends RunResult {
  /** stdout + stderr: Puppet prints notices on stdout, errors (and Facter's noise) on stderr. */
  output: string;
  /** Host path of this run's YAML report (absent after a compile error). */
  reportPath: string;
}

/** The fleet and the fixture repo with real Puppet 7, the way the bot will drive them. */
describe('fleet + fixture repo + real Puppet', { timeout: 45_000 }, () => {
  let fleet: Fleet;
  let repo: PuppetRepoFixture;
  let scratch: string;
  let runs = 0;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'heckler-harness-'));
    [fleet, repo] = await Promise.all([startFleet({ nodes: 3 }), createPuppetRepo(join(scratch, 'puppet'))]);
  }, 60_000);
  afterAll(async () => {
    await fleet?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const node = (name: string): FleetNode => fleet.node(name);

  /** Checks out `rev` in the node's own checkout (cloned over ssh from the host path) and runs puppet. */
  const puppet = async (target: FleetNode, rev: string, noop: boolean): Promise<PuppetRun> => {
    const checkout = await fleet.ssh(target, checkoutCommand(repo.url, target.workDir, rev));
    expect(checkout.code, checkout.stderr).toBe(0);
    const report = `/data/puppet/reports/run-${++runs}.yaml`;
    const command = puppetApplyCommand({
      workDir: target.workDir,
      certname: target.certname,
      noop,
      lastRunReport: report,
    });
    const result = await fleet.ssh(target, `mkdir -p /data/puppet/reports && ${command}`);
    return {
      ...result,
      output: result.stdout + result.stderr,
      reportPath: join(target.dataDir, report.slice(6)),
    };
  };
  const readReport = (run: PuppetRun) => parse(readFileSync(run.reportPath, 'utf8'), { logLevel: 'error' });

  it('a noop shows the motd diff; Puppet 7 exits 0 (not 2) for a noop and flags it as noop_pending', async () => {
    const first = await puppet(node('node1'), repo.commits.initial, false);
    expect(first.code, first.output).toBe(2); // an apply that changed something
    const noop = await puppet(node('node1'), repo.commits.motdChange, true);
    expect(noop.code, noop.output).toBe(0);
    expect(noop.stdout).toContain('Notice: /Stage[main]/Motd/File[/data/motd]/content: \n--- /data/motd\t');
    expect(noop.stdout).toMatch(/^\+\+\+ \/tmp\/puppet-file\S+\t/m);
    expect(noop.stdout).toContain(' Welcome to the Heckler test fleet.\n+Be kind to each other.\n');
    expect(noop.stdout).toMatch(
      /File\[\/data\/motd\]\/content: current_value '\{sha256\}[0-9a-f]{64}', should be '\{sha256\}[0-9a-f]{64}' \(noop\)/,
    );
    const report = readReport(noop);
    expect(report).toMatchObject({
      host: 'node1.example.com',
      noop: true,
      noop_pending: true,
      status: 'unchanged',
    });
    expect(report.resource_statuses['File[/data/motd]'].events[0]).toMatchObject({
      property: 'content',
      status: 'noop',
    });
    expect(readFileSync(join(node('node1').dataDir, 'motd'), 'utf8')).toBe(
      'Welcome to the Heckler test fleet.\n',
    );
  });

  it('an apply writes /data/motd on that node only', async () => {
    const apply = await puppet(node('node1'), repo.commits.motdChange, false);
    expect(apply.code, apply.output).toBe(2);
    expect(readFileSync(join(node('node1').dataDir, 'motd'), 'utf8')).toBe(
      'Welcome to the Heckler test fleet.\nBe kind to each other.\n',
    );
    expect(existsSync(join(node('node2').dataDir, 'motd'))).toBe(false);
    expect(existsSync(join(node('node3').dataDir, 'motd'))).toBe(false);
    expect(existsSync('/data/motd')).toBe(false); // the host's own /data is untouched too

    const again = await puppet(node('node1'), repo.commits.motdChange, true);
    expect(again.code, again.output).toBe(0);
    expect(readReport(again)).toMatchObject({ noop_pending: false, status: 'unchanged' });
  });

  it('the co-authored commit adds a resource on node2 only', async () => {
    const [two, three] = await Promise.all(
      ['node2', 'node3'].map((name) => puppet(node(name), repo.commits.coauthored, true)),
    );
    expect(two?.stdout).toContain(
      "Notice: /Stage[main]/Main/Node[node2.example.com]/File[/data/canary]/ensure: current_value 'absent', should be 'file' (noop)",
    );
    expect(three?.stdout).not.toContain('/data/canary');
    expect(three?.stdout).toContain('/Stage[main]/Motd/File[/data/motd]/ensure');
  });

  it('a subscribed refreshonly exec says it would have triggered a refresh', async () => {
    const noop = await puppet(node('node1'), repo.commits.merge, true);
    expect(noop.code, noop.output).toBe(0);
    expect(noop.stdout).toContain('-workers = 2\n+workers = 4\n');
    expect(noop.stdout).toContain(
      "Notice: /Stage[main]/Webapp/Exec[reload webapp]: Would have triggered 'refresh' from 1 event\n",
    );
    const report = readReport(noop);
    const exec = report.resource_statuses['Exec[reload webapp]'];
    expect(exec).toMatchObject({ out_of_sync: false, changed: false });
    const refreshLog = report.logs.find((log: { source: string }) =>
      log.source.endsWith('Exec[reload webapp]'),
    );
    expect(refreshLog).toMatchObject({
      level: 'notice',
      message: "Would have triggered 'refresh' from 1 event",
    });
  });

  it('the broken commit is a compile error naming the node, and leaves no report', async () => {
    const broken = await puppet(node('node1'), repo.commits.broken, true);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /^Error: Evaluation Error: Unknown function: 'motd_banner'\. \(file: \/data\/heckler\/checkout\/modules\/motd\/manifests\/init\.pp, line: 6, column: \d+\) on node node1\.example\.com$/m,
    );
    expect(existsSync(broken.reportPath)).toBe(false);
  });

  it('broken/node3 fails on node3 only', async () => {
    const [two, three] = await Promise.all(
      ['node2', 'node3'].map((name) => puppet(node(name), repo.commits.brokenNode3, true)),
    );
    expect(two?.code, two?.output).toBe(0);
    expect(three?.code).toBe(1);
    expect(three?.stderr).toMatch(
      /^Error: Evaluation Error: Error while evaluating a Function Call, webapp does not support node3\.example\.com yet \(file: .*webapp\/manifests\/init\.pp, line: \d+, column: \d+\) on node node3\.example\.com$/m,
    );
  });

  it('a stopped node is unreachable while the others still answer', async () => {
    await fleet.stopNode('node3');
    const down = await fleet.ssh('node3', 'hostname');
    expect(down.code).toBe(255);
    expect(down.stderr).toMatch(/Connection refused/);
    const up = await Promise.all(['node1', 'node2'].map((name) => fleet.ssh(name, 'hostname')));
    expect(up.map((result) => result.stdout.trim())).toEqual(['node1', 'node2']);
  });

  it('ssh refuses a node whose host key does not match known_hosts', async () => {
    const refused = await fleet.ssh('node1', 'hostname', {
      knownHostsPath: fleet.wrongHostKeyKnownHosts('node1'),
    });
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('Host key verification failed.');
  });
});
