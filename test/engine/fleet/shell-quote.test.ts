import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../../src/engine/fleet/shell-quote.js';

/** What `sh` actually receives as arguments for a command line: the only test that matters. */
const argvSeenBySh = (commandLine: string): string[] => {
  const result = spawnSync('sh', ['-c', `printf '%s\\0' ${commandLine}`], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  return result.stdout.split('\0').slice(0, -1);
};

const hostile = [
  '',
  ' ',
  'plain',
  'with space',
  "it's",
  "''",
  "'\\''",
  '"double"',
  '$HOME',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal parameter expansion is the point
  '${IFS}',
  '`id`',
  '$(touch /tmp/pwned)',
  'a;rm -rf /',
  'a && b || c',
  'x | y > z < w',
  '*',
  '?',
  '[a-z]',
  '~',
  '~root',
  '-n',
  '--help',
  'back\\slash',
  'new\nline',
  'tab\there',
  '#comment',
  '!history',
  'a=b',
  'héllo wörld ✓',
  '\u0001\u001b[31mred',
];

describe('shellQuote', () => {
  it.each(hostile)('round-trips %j through sh unchanged', (value) => {
    expect(argvSeenBySh(shellQuote(value))).toEqual([value]);
  });

  it.each([
    ['plain', 'plain'],
    ['/var/lib/heckler/checkout', '/var/lib/heckler/checkout'],
    ['a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2', 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2'],
    ['', "''"],
    ['with space', "'with space'"],
    ["it's", "'it'\\''s'"],
    ['~', "'~'"],
    ['$HOME', "'$HOME'"],
  ])('quotes %j as %s', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });

  it('refuses a NUL byte rather than cutting the argument short', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('shellCommand', () => {
  it('keeps every argument whole and literal', () => {
    const argv = ['printf', '%s|', ...hostile];
    const result = spawnSync('sh', ['-c', shellCommand(argv)], { encoding: 'utf8' });
    expect(result.stdout).toBe(hostile.map((value) => `${value}|`).join(''));
  });

  it('needs a program', () => {
    expect(() => shellCommand([])).toThrow(/program/);
  });
});
