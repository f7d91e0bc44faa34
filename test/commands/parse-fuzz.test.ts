import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/parse.js';
import { grammarRegistry } from './grammar.js';

/** Deterministic PRNG so a failure reproduces; the seed is in the test name. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion is the point of the fuzz input
const shellExpansion = '${IFS}';

const pieces = [
  shellExpansion,
  '/heckler',
  'help',
  'whoami',
  'version',
  'deploy',
  'hold',
  'v2.1',
  '--nodes',
  '--force',
  '--for',
  '--',
  '-h',
  '--help',
  '=',
  '"',
  "'",
  '“',
  '”',
  ';',
  '|',
  '&&',
  '$(',
  ')',
  '`',
  '\\',
  '\n',
  '\t',
  '\u0000',
  '\u202e',
  'rm -rf /',
  '../../etc/passwd',
  '%s%n',
  '😀',
  'ß',
  '日本',
  'web{01..12}',
  '*',
  '?',
  '--nodes=',
  '<@U123>',
  '&lt;',
  '\r\n',
  ' ',
  '  ',
  'a'.repeat(300),
];

const pick = (random: () => number) => pieces[Math.floor(random() * pieces.length)] ?? '';

const randomText = (random: () => number): string => {
  const mode = random();
  if (mode < 0.2) {
    // Raw random code points, including surrogates and controls.
    return Array.from({ length: Math.floor(random() * 60) }, () =>
      String.fromCharCode(Math.floor(random() * 0xffff)),
    ).join('');
  }
  if (mode < 0.25) return 'deploy '.repeat(Math.floor(random() * 900));
  if (mode < 0.45) {
    // Near-valid lines: a real form with one hostile word spliced in somewhere.
    const forms = [
      'deploy v1 --nodes web1',
      'hold web1 reason here --for 2h',
      'help deploy',
      'whoami',
      'deploy main --force',
    ];
    const words = (forms[Math.floor(random() * forms.length)] ?? '').split(' ');
    if (random() < 0.6) words.splice(Math.floor(random() * (words.length + 1)), 0, pick(random));
    return words.join(' ');
  }
  const count = Math.floor(random() * 12);
  return Array.from({ length: count }, () => pieces[Math.floor(random() * pieces.length)]).join(
    random() < 0.7 ? ' ' : '',
  );
};

describe('parseCommand fuzz', () => {
  const registry = grammarRegistry();
  const seed = 20261123;
  it(`never throws and always answers a call, an error or empty (5,000 inputs, seed ${seed})`, () => {
    const random = mulberry32(seed);
    const kinds = { call: 0, error: 0, empty: 0 };
    for (let i = 0; i < 5000; i++) {
      const input = randomText(random);
      const result = parseCommand(input, registry);
      kinds[result.kind]++;
      if (result.kind === 'error') {
        expect(['USAGE', 'UNKNOWN_COMMAND']).toContain(result.error.code);
        // Echoed input is clipped to one short line with no control characters, and cannot
        // unbalance the message's own `code` spans.
        expect(result.error.message.length).toBeLessThan(400);
        expect(result.error.message).not.toMatch(/[\u0000-\u001f]/);
        expect((result.error.message.match(/`/g) ?? []).length % 2).toBe(0);
      }
      if (result.kind === 'call') {
        // A bound call only ever carries values that passed the declared patterns.
        for (const spec of result.command.args) {
          const value = result.call.args[spec.name];
          if (value !== undefined && spec.pattern) expect(value).toMatch(spec.pattern);
        }
      }
    }
    // The generator reaches every outcome, so the assertions above ran on each kind.
    expect(kinds.call).toBeGreaterThan(100);
    expect(kinds.error).toBeGreaterThan(100);
    expect(kinds.empty).toBeGreaterThan(0);
  });
});
