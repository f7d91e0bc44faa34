import { describe, expect, it } from 'vitest';
import { MAX_COMMAND_LENGTH, parseCommand, tokenize } from '../../src/commands/parse.js';
import { grammarRegistry } from './grammar.js';

const registry = grammarRegistry();

describe('tokenize', () => {
  it.each([
    ['a b  c', ['a', 'b', 'c']],
    ['say "two words" x', ['say', 'two words', 'x']],
    ["say 'single quoted'", ['say', 'single quoted']],
    ['say “curly quotes”', ['say', 'curly quotes']],
    ['say ""', ['say', '']],
    ['  \t ', []],
    ['a"b c"d', ['ab cd']],
  ])('%j', (input, tokens) => {
    expect(tokenize(input)).toEqual(tokens);
  });

  it('reports an unterminated quote instead of guessing', () => {
    expect(tokenize('say "oops')).toMatch(/unterminated quote/);
  });
});

type Expected =
  | { call: string; args?: Record<string, string>; flags?: Record<string, string | true> }
  | { error: 'USAGE' | 'UNKNOWN_COMMAND'; message: RegExp; hint?: RegExp }
  | { empty: true };

const table: [string, Expected][] = [
  ['', { empty: true }],
  ['/heckler', { empty: true }],
  ['/heckler help', { call: 'help', args: {} }],
  ['heckler help whoami', { call: 'help', args: { command: 'whoami' } }],
  ['HELP', { call: 'help' }],
  ['whoami', { call: 'whoami', args: {}, flags: {} }],
  ['deploy v2.1', { call: 'deploy', args: { REV: 'v2.1' }, flags: {} }],
  ['deploy v2.1 --nodes web1,web2', { call: 'deploy', args: { REV: 'v2.1' }, flags: { nodes: 'web1,web2' } }],
  [
    'deploy --nodes=web1 v2.1 --force',
    { call: 'deploy', args: { REV: 'v2.1' }, flags: { nodes: 'web1', force: true } },
  ],
  ['deploy v2.1 --help', { call: 'help', args: { command: 'deploy' } }],
  [
    'hold web1 kernel upgrade, back at 3',
    { call: 'hold', args: { NODES: 'web1', REASON: 'kernel upgrade, back at 3' } },
  ],
  [
    'hold web1 "quoted reason" --for 2h',
    { call: 'hold', args: { NODES: 'web1', REASON: 'quoted reason' }, flags: { for: '2h' } },
  ],
  ['hold web1 -- --not-a-flag', { call: 'hold', args: { NODES: 'web1', REASON: '--not-a-flag' } }],
  [
    'depoly v1',
    {
      error: 'UNKNOWN_COMMAND',
      message: /unknown command 'depoly' \(did you mean 'deploy'\?\)/,
      hint: /help/,
    },
  ],
  ['frobnicate', { error: 'UNKNOWN_COMMAND', message: /^unknown command 'frobnicate'$/ }],
  [
    'deploy',
    {
      error: 'USAGE',
      message: /missing REV: a revision/,
      hint: /usage: `\/heckler deploy REV \[--nodes LIST\] \[--force\]`/,
    },
  ],
  ['deploy v1 v2', { error: 'USAGE', message: /unexpected word: v2/ }],
  ['deploy v1 --nodse a', { error: 'USAGE', message: /unknown flag --nodse \(did you mean 'nodes'\?\)/ }],
  ['deploy v1 --nodes', { error: 'USAGE', message: /--nodes needs a value \(LIST\)/ }],
  ['deploy v1 --force=yes', { error: 'USAGE', message: /--force is a switch and takes no value/ }],
  ['deploy v1 --force --force', { error: 'USAGE', message: /--force is given twice/ }],
  [
    'deploy "v1; rm -rf /"',
    { error: 'USAGE', message: /'v1; rm -rf \/' is not a valid REV: expected a tag, branch or SHA/ },
  ],
  ['deploy $(reboot)', { error: 'USAGE', message: /is not a valid REV/ }],
  [
    'hold web1 x --for forever',
    {
      error: 'USAGE',
      message: /'forever' is not a valid DURATION for --for: expected a duration such as 30m or 2h/,
    },
  ],
  ['whoami --verbose', { error: 'USAGE', message: /unknown flag --verbose; `whoami` takes no flags/ }],
  ['help "unterminated', { error: 'USAGE', message: /unterminated quote/ }],
  [`help ${'x'.repeat(MAX_COMMAND_LENGTH)}`, { error: 'USAGE', message: /command is too long/ }],
];

describe('parseCommand', () => {
  it.each(table)('%j', (input, expected) => {
    const result = parseCommand(input, registry);
    if ('empty' in expected) {
      expect(result.kind).toBe('empty');
    } else if ('call' in expected) {
      if (result.kind !== 'call') throw new Error(`expected a call, got ${JSON.stringify(result)}`);
      expect(result.call.name).toBe(expected.call);
      if (expected.args) expect(result.call.args).toEqual(expected.args);
      if (expected.flags) expect(result.call.flags).toEqual(expected.flags);
    } else {
      if (result.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(result)}`);
      expect(result.error.code).toBe(expected.error);
      expect(result.error.message).toMatch(expected.message);
      if (expected.hint) expect(result.error.hint).toMatch(expected.hint);
    }
  });
});
