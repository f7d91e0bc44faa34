import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

/** The README's first command, driven by a script on stdin from an empty directory. */
const runHeckler = (script: string[], args: string[] = []) => {
  const cwd = mkdtempSync(join(tmpdir(), 'heckler-demo-'));
  const run = spawnSync(join(root, 'heckler'), args, {
    cwd,
    input: `${script.join('\n')}\n`,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeout: 30_000,
  });
  return { ...run, cwd };
};

describe('./heckler (the demo in a terminal)', () => {
  it('starts with the example config and the embedded store, answers help, and presses a button', () => {
    const run = runHeckler(['/heckler help', 'click 3', 'exit']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('using the demo config');
    expect(run.stdout).toContain('Heckler shell. You are @alice (U0ALICE).');
    expect(run.stdout).toContain('== Heckler commands ==');
    expect(run.stdout).toMatch(/\[1\] help {2}\[2\] whoami {2}\[3\] version/);
    expect(run.stdout.slice(run.stdout.indexOf('> click 3'))).toContain('== /heckler version ==');
    // The embedded store and the log live in the working directory's data dir.
    expect(existsSync(join(run.cwd, '.heckler-data', 'heckler.log'))).toBe(true);
  });

  it('--as picks the acting user', () => {
    const run = runHeckler(['/heckler whoami'], ['--as', 'U0DAVE']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/You are @dave\n│ User id: U0DAVE\n│ Roles: none/);
  });
});
