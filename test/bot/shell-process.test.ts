import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

/**
 * The README's first command, driven by a script on stdin from an empty directory, or from one
 * holding `heckler.yml` with the text given.
 */
const runHeckler = (script: string[], args: string[] = [], configText?: string) => {
  const cwd = mkdtempSync(join(tmpdir(), 'heckler-demo-'));
  if (configText !== undefined) writeFileSync(join(cwd, 'heckler.yml'), configText);
  const run = spawnSync(join(root, 'heckler'), args, {
    cwd,
    input: `${script.join('\n')}\n`,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeout: 80_000,
  });
  return { ...run, cwd };
};

describe('./heckler (the demo in a terminal)', () => {
  it('starts with the example config and the embedded store, answers help, and presses a button', () => {
    const run = runHeckler(['/heckler help', 'click 4', 'exit']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('using the demo config');
    expect(run.stdout).toContain('Heckler shell. You are @alice (U0ALICE).');
    expect(run.stdout).toContain('== Heckler commands ==');
    expect(run.stdout).toMatch(/\[1\] help {2}\[2\] home {2}\[3\] whoami {2}\[4\] version/);
    expect(run.stdout.slice(run.stdout.indexOf('> click 4'))).toContain('== /heckler version ==');
    // The embedded store and the log live in the working directory's data dir.
    expect(existsSync(join(run.cwd, '.heckler-data', 'heckler.log'))).toBe(true);
  });

  it('`/heckler apply` alone asks for the revision and the nodes on the next lines, then plans it', () => {
    const run = runHeckler(['/heckler apply', 'v2', 'all', 'exit']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Apply which revision\? \(main, v2, v1, or a SHA\)/);
    expect(run.stdout).toContain('To which nodes? all');
    expect(run.stdout).toMatch(/Apply plan #1: v2 on 3 nodes/);
    // The demo starts from nothing (repository, nodes, store) and reads each node: give it room.
  }, 90_000);

  it('--as picks the acting user', () => {
    const run = runHeckler(['/heckler whoami'], ['--as', 'U0DAVE']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/You are @dave\n│ User id: U0DAVE\n│ Roles: none/);
  });

  it('--as picks the acting user by name too, and /as still switches', () => {
    const run = runHeckler(['/as carol', '/heckler whoami'], ['--as', 'dave']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Heckler shell. You are @dave (U0DAVE).');
    expect(run.stdout).toContain('You are now @carol (U0CAROL).');
    expect(run.stdout).toMatch(/│ User id: U0CAROL\n│ Roles: approver, builder\n/);
  });
});

describe('./heckler with a config without demo: the terminal is the OS user running it', () => {
  const me = userInfo().username;
  const production = (shell: string) =>
    [
      'users: { U0ALICE: alice, U0BOB: bob }',
      'roles: { admins: [U0ALICE], approvers: [U0BOB] }',
      `shell: ${shell}`,
      '',
    ].join('\n');

  it('refuses to start for an unmapped OS user: one line naming the user and the key, nothing started', () => {
    const run = runHeckler(['/heckler whoami'], [], production('{ users: { someone-else: U0ALICE } }'));
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      `heckler: OS user ${me} is not mapped to a chat user, so the terminal will not start: ` +
        `add it to ${join(run.cwd, 'heckler.yml')} as shell.users: { ${me}: U... } (your chat user id)\n`,
    );
    expect(run.stdout).toBe('');
    // No store, no log, no demo: only the config file is there.
    expect(readdirSync(run.cwd)).toEqual(['heckler.yml']);
  });

  it('acts as the mapped chat user, says so, refuses /as, and whoami names the OS user', () => {
    const run = runHeckler(['/as bob', '/heckler whoami'], [], production(`{ users: { ${me}: U0BOB } }`));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Heckler shell. You are @bob (U0BOB), mapped from OS user ${me}.\n`);
    expect(run.stdout).toContain('/as is off: this terminal is @bob (U0BOB)');
    expect(run.stdout).toMatch(
      new RegExp(`│ User id: U0BOB\n│ Roles: approver\n│ Acting from: the terminal as OS user ${me}\n`),
    );
  });

  it('refuses --as without shell.allowImpersonation, and allows it with', () => {
    const refused = runHeckler(
      ['/heckler whoami'],
      ['--as', 'alice'],
      production(`{ users: { ${me}: U0BOB } }`),
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      /^heckler: --as chooses who the terminal acts as, which needs shell\.allowImpersonation: true in .*heckler\.yml; without --as you are @bob \(U0BOB\)/,
    );
    expect(refused.stdout).toBe('');
    const allowed = runHeckler(
      ['/heckler whoami'],
      ['--as', 'alice'],
      production(`{ users: { ${me}: U0BOB }, allowImpersonation: true }`),
    );
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain(
      `You are @alice (U0ALICE), impersonated by OS user ${me} (who is @bob (U0BOB)).`,
    );
    expect(allowed.stdout).toContain(`│ Acting from: the terminal as OS user ${me}\n`);
  });
});
