import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureInstalled, run } from '../support/process.js';

const root = join(import.meta.dirname, '../..');
const example = join(root, 'examples/heckler.yml');

/** The README's first command, from `cwd`, driven by a script on stdin. */
const heckler = async (cwd: string, script: string[]) => {
  const result = await run(join(root, 'heckler'), [], {
    cwd,
    input: `${script.join('\n')}\n`,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeoutMs: 150_000,
  });
  expect(result.timedOut).toBe(false);
  return result;
};

/** Output from the line echoing `command` to the next prompt echo. */
const answerTo = (stdout: string, command: string) => {
  const start = stdout.indexOf(`> ${command}\n`);
  if (start < 0) throw new Error(`'${command}' not in the output:\n${stdout}`);
  const end = stdout.indexOf('\n> ', start + command.length + 3);
  return stdout.slice(start, end < 0 ? undefined : end);
};

describe('the demo (./heckler with examples/heckler.yml, from an empty directory)', () => {
  it('creates a repository and three local nodes; nodes, noops, approve, lock, apply and status work', async () => {
    ensureInstalled([
      { command: 'git', pkg: 'git' },
      { command: 'puppet', pkg: 'puppet' },
    ]);
    const cwd = mkdtempSync(join(tmpdir(), 'heckler-demo-'));
    const demo = join(cwd, '.heckler-demo');
    const { code, stdout, stderr } = await heckler(cwd, [
      '/heckler nodes',
      '/heckler permadiffs',
      '/heckler noop v2',
      '/as bob',
      'click 1',
      'y', // Approve asks first, as Slack's confirm dialog does
      '/as carol',
      'click 1',
      'y',
      '/heckler noop v1 --full --nodes demo1',
      '/as bob',
      '/heckler lock demo2 trying things --for 1h',
      '/heckler locks',
      '/heckler unlock demo2',
      // v1 is the first commit: approved (alice wrote it; bob approves), it can be applied.
      '/heckler noop v1',
      // Buttons are numbered in the order they were shown: the locks view's Unlock took [5].
      'click 6',
      'y',
      '/heckler apply v1',
      'click 8',
      'y',
      // the session waits for the apply to finish before it ends
      'exit',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(
      `(demo: Puppet repository ${demo}/repo (created just now: three commits, tags v1 and v2); nodes demo1, demo2, demo3 run here, in ${demo}/nodes.`,
    );
    expect(stdout).not.toContain('is not installed');

    // What the demo made, all of it under the demo directory.
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', join(demo, 'repo'), ...args], { encoding: 'utf8' });
    expect(git('tag').split('\n')).toEqual(['v1', 'v2', '']);
    expect(git('log', '--format=%an: %s', 'main')).toBe(
      [
        'Bob Baker: app: four workers, reload on config change',
        'Dave Dixon: motd: say which node this is',
        'Alice Archer: Initial demo code: motd and app',
        '',
      ].join('\n'),
    );
    expect(readFileSync(join(demo, 'repo/modules/demo/manifests/init.pp'), 'utf8')).toContain(
      `$files = "${demo}/nodes/\${trusted['certname']}/files"`,
    );
    expect(readFileSync(join(demo, 'repo/CODEOWNERS'), 'utf8')).toContain('modules/app/ @carol');
    for (const node of ['demo1', 'demo2', 'demo3']) {
      const workDir = join(demo, 'nodes', node);
      for (const path of [
        'files/motd',
        'files/app.conf',
        'checkout/manifests/site.pp',
        'lib',
        'state/synced',
      ])
        expect(existsSync(join(workDir, path)), `${node}: ${path}`).toBe(true);
      // Puppet's own state is the node's too, not the machine's
      expect(existsSync(join(workDir, 'puppet/var/state/last_run_report.yaml')), node).toBe(true);
      expect(existsSync(join(workDir, 'puppet/public/last_run_summary.yaml')), node).toBe(true);
    }

    expect(answerTo(stdout, '/heckler nodes')).toContain(
      '│ == Fleet: 3 nodes ==\n│ • *demo1* local · sets: canaries\n│ • *demo2* local\n│ • *demo3* local\n',
    );

    // The composition root wires the permadiff scan: before the first scan it says so.
    expect(answerTo(stdout, '/heckler permadiffs')).toContain('No permadiff scan has run yet');

    // The delta of v2 is bob's change, grouped across the three nodes, owned by carol.
    const review = answerTo(stdout, '/heckler noop v2');
    expect(review).toMatch(/== [0-9a-f]{7} app: four workers, reload on config change ==\n│ by @bob\n/);
    expect(review).toContain('│ 3 nodes would change · 0 unchanged · 0 failed · 0 unreachable\n');
    expect(review).toContain('│ [1] Approve  [2] Deny\n');
    expect(review).toContain(
      '│   on demo{1..3} · owners @carol\n│ `Exec[reload app]` · modules/app/manifests/init.pp:13\n│ 🔄 *would trigger a refresh*',
    );
    expect(review).toContain(
      '│ --- <workDir>/files/app.conf\n│ +++ /tmp/puppet-fileXXXXXX\n│ @@ -1,2 +1,2 @@\n│  port = 8080\n│ -workers = 1\n│ +workers = 4\n',
    );
    // Bob wrote it: he may not approve it. Carol owns modules/app/ and does.
    expect(stdout).toMatch(
      /you wrote [0-9a-f]{7} \(as its author, a co-author or its committer\): someone else must approve it/,
    );
    const approved = stdout.slice(stdout.lastIndexOf('> click 1'));
    expect(approved).toMatch(/✅ Approved by @carol at \d\d:\d\d/);

    // A full noop of v1 on one node: real Puppet diffs of the demo's files.
    const full = answerTo(stdout, '/heckler noop v1 --full --nodes demo1');
    expect(full).toMatch(/== Noop of v1 \([0-9a-f]{7}\) ==\n│ \*Initial demo code: motd and app\*\n/);
    expect(full).toContain('│ 1 would change, 0 unchanged, 0 failed, 0 unreachable\n');
    expect(full).toContain('│ --- <workDir>/files/motd\n');
    expect(full).toContain('│ -Welcome!\n│ +Welcome to the Heckler demo.\n');
    expect(full).toContain('│ -workers = 1\n│ +workers = 2\n');

    expect(answerTo(stdout, '/heckler lock demo2 trying things --for 1h')).toContain(
      '🔒 @bob locked demo2 for 1h: trying things',
    );
    expect(answerTo(stdout, '/heckler locks')).toContain('• *demo2* @bob: trying things');
    expect(answerTo(stdout, '/heckler unlock demo2')).toContain('🔓 @bob unlocked demo2');

    // Apply v1 (canaries first, then the rest): the managed files change, under the demo directory only.
    // Approve asks first; the approval follows the yes.
    expect(answerTo(stdout, 'click 6')).toMatch(/^> click 6\nApprove [0-9a-f]{7}\? .*\[y\/N\]$/);
    expect(answerTo(stdout.slice(stdout.indexOf('> click 6\n')), 'y')).toMatch(/✅ Approved by @bob at/);
    const plan = answerTo(stdout, '/heckler apply v1');
    expect(plan).toMatch(/== Apply plan #1: v1 on 3 nodes ==/);
    expect(plan).toContain('[8] Confirm  [9] Cancel');
    expect(stdout).toMatch(/✅ apply v1 #1 passed: 3 of 3 nodes applied/);
    for (const node of ['demo1', 'demo2', 'demo3']) {
      expect(readFileSync(join(demo, 'nodes', node, 'files/app.conf'), 'utf8')).toBe(
        'port = 8080\nworkers = 2\n',
      );
      expect(readFileSync(join(demo, 'nodes', node, 'files/motd'), 'utf8')).toBe(
        'Welcome to the Heckler demo.\n',
      );
    }
    // Facter's complaints about /proc/1/environ stay on the node's stderr.
    expect(stdout).not.toMatch(/Facter|proc\/1\/environ/);

    // A new session sees what the nodes run.
    const again = await heckler(cwd, ['/heckler status']);
    expect(again.stdout).toContain(
      `(demo: Puppet repository ${demo}/repo; nodes demo1, demo2, demo3 run here`,
    );
    const status = answerTo(again.stdout, '/heckler status');
    expect(status).toMatch(/│ 3 nodes: 3 on v1\n/);
    expect(status).toMatch(/│ • \*demo1\* v1 \([0-9a-f]{7}\) · applied .* by @bob · clean/);
  }, 180_000);

  it('without Puppet: says how to install it at start and in each failed run, and retries once it is there', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'heckler-demo-nopuppet-'));
    const config = join(cwd, 'heckler.yml');
    copyFileSync(example, config);
    writeFileSync(config, `${readFileSync(example, 'utf8')}\npuppet:\n  command: puppet-not-installed\n`);
    const missing = await heckler(cwd, ['/heckler noop v2', '/heckler noop v1 --full --nodes demo1']);
    expect(missing.stderr).toBe('');
    expect(missing.code).toBe(0);
    const install = '`sudo apt-get install puppet` (Debian/Ubuntu) or install openvox';
    expect(missing.stdout).toContain(
      `\npuppet-not-installed is not installed on this machine: ${install}; the Puppet commands will fail until then\nHeckler shell.`,
    );
    expect(answerTo(missing.stdout, '/heckler noop v2')).toContain(
      `│   ⚠️ failed on demo{1..3} (not reviewed there): puppet-not-installed is not installed on the node: ${install}\n`,
    );
    expect(answerTo(missing.stdout, '/heckler noop v1 --full --nodes demo1')).toContain(
      `│ *demo1* — failed: puppet-not-installed is not installed on the node: ${install}\n`,
    );

    // "Installed": the same review is nooped again rather than its failures served from storage.
    copyFileSync(example, config);
    const installed = await heckler(cwd, ['/heckler noop v2']);
    expect(installed.stdout).not.toContain('is not installed');
    const review = answerTo(installed.stdout, '/heckler noop v2');
    expect(review).toContain('│ 3 nodes would change · 0 unchanged · 0 failed · 0 unreachable\n');
    expect(review).toMatch(/re-nooped where nodes had failed: the delta is different/);
  }, 90_000);
});
