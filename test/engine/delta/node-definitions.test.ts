import { describe, expect, it } from 'vitest';
import {
  definingFiles,
  type NodeDefinition,
  parseManifests,
  parseNodeDefinitions,
} from '../../../src/engine/delta/node-definitions.js';

/** `3 web01`, `4 /^web\d+/`, `5 default`: a definition as its line and what it matches. */
const shown = (definition: NodeDefinition) => {
  const { matcher } = definition;
  const what =
    matcher.kind === 'name' ? matcher.name : matcher.kind === 'regex' ? `/${matcher.source}/` : 'default';
  return `${definition.line} ${what}`;
};
const parse = (text: string) => parseNodeDefinitions('manifests/site.pp', text);
const defined = (text: string) => parse(text).definitions.map(shown);

describe('parseNodeDefinitions: what it finds', () => {
  it.each([
    ['a quoted name', "node 'web01.example.com' {}", ['1 web01.example.com']],
    ['several names, both quotes', `node 'web01', "db1" { }`, ['1 web01', '1 db1']],
    [
      'bare words, dotted and hyphenated',
      'node web-01.example.com, db1 {}',
      ['1 web-01.example.com', '1 db1'],
    ],
    ['a dotted address', 'node 10.0.0.1 {}', ['1 10.0.0.1']],
    ['a regex', 'node /^web\\d+\\.example\\.com$/ {}', ['1 /^web\\d+\\.example\\.com$/']],
    ['a regex with an escaped slash', 'node /^a\\/b/ {}', ['1 /^a\\/b/']],
    ['default', 'node default {}', ['1 default']],
    ['names lower-cased, as Puppet compares them', "node 'WEB01.Example.COM' {}", ['1 web01.example.com']],
    ['a trailing comma', "node 'a', 'b', {}", ['1 a', '1 b']],
    ["Puppet 3's inherits", "node 'web02' inherits 'base' {}", ['1 web02']],
    ['nothing in an empty file', '', []],
    ['quoted punctuation, which is a name', "node ',', '{' {}", ['1 ,', '1 {']],
    ["nothing for 'node' that names no node", "$node = 'x'\nnode {}\nnotice(node)\n", []],
  ])('%s', (_name, text, expected) => {
    expect(defined(text)).toEqual(expected);
    expect(parse(text).problems).toEqual([]);
  });

  it('skips bodies with nested braces, and `node` inside them', () => {
    const text = [
      "node 'web01' {",
      "  class { 'nginx': config => { 'a' => { 'b' => 1 } } }",
      "  $h = { node => 'x' }",
      "  if $x { notify { 'node x': } }",
      '}',
      'node /^web\\d+/ {',
      "  node { 'y': }",
      '}',
    ].join('\n');
    expect(defined(text)).toEqual(['1 web01', '6 /^web\\d+/']);
  });

  it.each([
    ['line comments', "# node 'commented' {}\nnode 'real' {}", ['2 real']],
    ['block comments over lines', "/* node 'block' {\n} */\nnode 'real' {}", ['3 real']],
    ['strings', `$x = "node 'a' {}"\n$y = 'node "b" {}'\nnode 'real' {}`, ['3 real']],
    ['escaped quotes', `$x = 'it\\'s node "a" {}'\n$y = "say \\"node 'b' {}\\""\nnode 'real' {}`, ['3 real']],
    ['interpolations holding quotes and braces', `$x = "\${h["node 'x' {"]} }"\nnode 'real' {}`, ['2 real']],
    ['a heredoc', "$t = @(\"END\"/L)\n  node 'in-heredoc' {}\n  | END\nnode 'real' {}", ['4 real']],
    [
      'a heredoc with code after it',
      "notice(@(EOT), 'x')\nnode 'in-heredoc' {}\n  |- EOT\nnode 'real' {}",
      ['4 real'],
    ],
    ['a regex holding # and a quote', "if $x =~ /#'/ { }\nnode 'real' {}", ['2 real']],
    ['division, which is not a regex', "$r = $a / 2 # /'\nnode 'real' {}", ['2 real']],
  ])('ignores `node` in %s', (_name, text, expected) => {
    expect(defined(text)).toEqual(expected);
    expect(parse(text).problems).toEqual([]);
  });
});

describe('parseNodeDefinitions: malformed manifests', () => {
  it.each([
    [
      'an unclosed string (the rest of the file is inside it, as Puppet reads it)',
      "node 'a' {}\n$x = 'oops\nnode 'b' {}",
      ['1 a'],
      /string opened on line 3 is never closed/,
    ],
    [
      'an unclosed comment',
      "node 'a' {}\n/* node 'b' {}",
      ['1 a'],
      /comment opened on line 2 is never closed/,
    ],
    ['an unclosed body', "node 'a' {\n  file { 'x':\n", ['1 a'], /2 '\{' never closed/],
    ['a node without a body', "node 'a'\nnode 'b' {}", ['2 b'], /without its '\{' body/],
    ['an unclosed heredoc', "$t = @(END)\nnode 'x' {}\n", [], /heredoc @\(END\) from line 1 is never closed/],
    ['strings nested without end', '"${'.repeat(10_000), [], /nested more than 50 deep/],
  ])('%s: keeps what came before and says what is wrong', (_name, text, expected, problem) => {
    const parsed = parse(text);
    expect(parsed.definitions.map(shown)).toEqual(expected);
    expect(parsed.problems.map((p) => p.message).join('\n')).toMatch(problem);
    expect(parsed.problems.every((p) => p.file === 'manifests/site.pp')).toBe(true);
  });

  it.each([
    ['slashes whose regex never closes', `$x = ${'/\\'.repeat(200_000)}\nnode 'real' {}`],
    ['heredoc openers without a tag end', `$x = ${'@('.repeat(200_000)}\nnode 'real' {}`],
  ])('reads a line of %s once, not once per character', (_name, text) => {
    const started = performance.now();
    expect(defined(text)).toEqual(['2 real']);
    // Quadratic reading of a 400 kB line takes minutes; linear, milliseconds.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('reads a manifest of very many definitions', () => {
    const text = "node 'n' {}\n".repeat(200_000);
    const { definitions } = parseManifests([{ file: 'big.pp', text }]);
    expect(definitions).toHaveLength(200_000);
    expect(definitions.at(-1)?.line).toBe(200_000);
  });

  it('never throws, whatever the text', () => {
    const pieces = [
      'node',
      ' ',
      '\n',
      "'",
      '"',
      '/',
      '{',
      '}',
      '#',
      '/*',
      '*/',
      '@(END)',
      'END',
      '${',
      '\\',
      'default',
      ',',
      'x',
      '$',
      '|',
      '-',
    ];
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 2000; round += 1) {
      const text = Array.from({ length: next() % 60 }, () => pieces[next() % pieces.length]).join('');
      expect(() => parse(text), JSON.stringify(text)).not.toThrow();
    }
  });
});

describe('definingFiles', () => {
  const { definitions } = parseManifests([
    { file: 'manifests/site.pp', text: "node default {}\nnode 'db1.example.com' {}\n" },
    { file: 'manifests/nodes/web.pp', text: 'node /^web\\d+\\./ {}\n' },
    { file: 'manifests/nodes/canary.pp', text: "# the canary\nnode /^web01\\./, 'canary' {}\n" },
    { file: 'manifests/nodes/exact.pp', text: "node 'web01.example.com' {}\n" },
  ]);

  it.each([
    ['an exact name, before any regex', 'web01.example.com', 'name', ['manifests/nodes/exact.pp']],
    ['an exact name in any case', 'WEB01.Example.com', 'name', ['manifests/nodes/exact.pp']],
    ['one matching regex', 'web02.example.com', 'regex', ['manifests/nodes/web.pp']],
    [
      'every matching regex',
      'web01.other.com',
      'regex',
      ['manifests/nodes/web.pp', 'manifests/nodes/canary.pp'],
    ],
    ['a name next to a regex', 'canary', 'name', ['manifests/nodes/canary.pp']],
    ['default, when nothing else matches', 'mail.example.com', 'default', ['manifests/site.pp']],
  ])('%s', (_name, certname, rule, files) => {
    const found = definingFiles(definitions, certname);
    expect(found).toMatchObject({ rule, files, problems: [] });
    expect(found.definitions.every((d) => files.includes(d.file))).toBe(true);
  });

  it('answers none without a default, and every file when a name is defined twice', () => {
    const { definitions: two } = parseManifests([
      { file: 'a.pp', text: "node 'x' {}" },
      { file: 'b.pp', text: "node 'x' {}" },
    ]);
    expect(definingFiles(two, 'y')).toEqual({ files: [], rule: 'none', definitions: [], problems: [] });
    expect(definingFiles(two, 'x')).toMatchObject({ rule: 'name', files: ['a.pp', 'b.pp'] });
  });

  it('matches the lower-cased name, as Puppet does: upper-case patterns need (?i)', () => {
    const { definitions: upper } = parse('node /^WEB/ {}\nnode /(?i)^DB/ {}\n');
    expect(definingFiles(upper, 'WEB01').rule).toBe('none');
    expect(definingFiles(upper, 'DB01').rule).toBe('regex');
  });

  it.each([
    ['lookahead', '/^(?=web)/'],
    ['a backreference', '/^(web)\\1/'],
    ["Ruby's \\h", '/^\\h+$/'],
    ['a pattern too long to be real', `/${'a'.repeat(1001)}/`],
  ])('takes a pattern RE2 cannot run (%s) to match nothing, and says so', (_name, pattern) => {
    const { definitions: odd } = parse(`node default {}\n\nnode ${pattern} {}\n`);
    const found = definingFiles(odd, 'web01');
    expect(found).toMatchObject({ rule: 'default', files: ['manifests/site.pp'] });
    expect(found.problems).toEqual([
      expect.stringMatching(
        /^manifests\/site\.pp:3: \/.*\/ (cannot be matched in linear time|is not a valid regular expression|is longer than) .+; taken to match nothing$/,
      ),
    ]);
  });

  it.each([
    ['(a|a)+$', 'a'.repeat(50_000)],
    ['^(x+x+)+y$', 'x'.repeat(50_000)],
    ['(.*a){25}$', `${'a'.repeat(50_000)}b`],
  ])('runs the hostile pattern %s in linear time', (pattern, filler) => {
    const { definitions: hostile } = parse(`node /${pattern}/ {}`);
    const started = performance.now();
    const found = definingFiles(hostile, `${filler}!`);
    // A backtracking engine needs longer than the universe has; a linear one well under a second.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(found.rule).toBe('none');
    expect(definingFiles(hostile, filler.replace(/b$/, '')).rule).toBe(
      pattern.startsWith('^(x') ? 'none' : 'regex',
    );
  });
});
