import { describe, expect, it } from 'vitest';
import { compilePattern, ownersOf, parseCodeowners } from '../../../src/engine/delta/codeowners.js';

/** Pattern → paths it owns (true) and does not (false): GitHub's documented behaviour, gitignore-like. */
const patterns: [string, Record<string, boolean>][] = [
  ['*', { 'README.md': true, 'modules/motd/manifests/init.pp': true }],
  [
    '*.pp',
    { 'site.pp': true, 'modules/motd/manifests/init.pp': true, 'site.ppx': false, 'README.md': false },
  ],
  ['motd', { motd: true, 'modules/motd/manifests/init.pp': true, 'modules/motd2/init.pp': false }],
  [
    '/manifests',
    { 'manifests/site.pp': true, 'manifests/nodes/web.pp': true, 'modules/x/manifests/init.pp': false },
  ],
  ['manifests/', { 'manifests/site.pp': true, 'modules/x/manifests/init.pp': true, manifests: false }],
  ['/manifests/', { 'manifests/site.pp': true, 'modules/x/manifests/init.pp': false, manifests: false }],
  [
    'modules/motd/',
    { 'modules/motd/manifests/init.pp': true, 'modules/motd': false, 'x/modules/motd/a': false },
  ],
  [
    'modules/motd',
    { 'modules/motd/manifests/init.pp': true, 'modules/motd': true, 'modules/motdx/a': false },
  ],
  ['docs/*', { 'docs/a.md': true, 'docs/sub/b.md': false, docs: false }],
  ['/*', { 'README.md': true, 'manifests/site.pp': false }],
  ['/*/', { 'manifests/site.pp': true, 'modules/motd/init.pp': true, 'README.md': false }],
  ['f*/', { 'files/a': true, 'x/files/a': true, files: false, 'x/f': false }],
  [
    'modules/*/templates',
    { 'modules/motd/templates/a.erb': true, 'modules/motd/files/a': false, 'modules/templates': false },
  ],
  ['**/logs', { logs: true, 'build/logs/a': true, 'deeply/nested/logs/a': true, 'build/logs2': false }],
  [
    'modules/**/init.pp',
    { 'modules/init.pp': true, 'modules/a/b/init.pp': true, 'x/modules/init.pp': false },
  ],
  ['modules/**', { 'modules/a': true, 'modules/a/b': true, modules: false }],
  ['modules/**/', { 'modules/a': true, 'modules/a/b': true, modules: false }],
  ['m?td', { motd: true, mtd: false, 'm/td': false }],
  ['a\\*b', { 'a*b': true, axb: false }],
  ['my\\ file.txt', { 'my file.txt': true, 'docs/my file.txt': true, my: false }],
  ['\\#notes', { '#notes': true, notes: false }],
  ['site.pp', { 'manifests/site.pp': true, 'manifests/site.ppx': false, 'manifests/site-pp': false }],
];

describe('CODEOWNERS patterns', () => {
  for (const [pattern, paths] of patterns) {
    it.each(Object.entries(paths))(`${pattern} vs %s → %s`, (path, owned) => {
      const regex = compilePattern(pattern);
      if (regex instanceof Error) throw regex;
      expect(regex.test(path)).toBe(owned);
    });
  }

  it.each(['!modules/', 'modules/[ab]*'])('refuses what GitHub does not support: %s', (pattern) => {
    expect(compilePattern(pattern)).toBeInstanceOf(Error);
  });
});

describe('parseCodeowners and ownersOf', () => {
  const file = [
    '# Who reviews what',
    '',
    '*                      @carol',
    'modules/webapp/        @bob @erin   # inline comment',
    'modules/webapp/files/  @org/web-team dave@example.com',
    '*.md',
    'my\\ notes/            @alice',
    '   modules/motd/       @alice',
    'modules/broken/        @ not-an-owner @dave',
    'modules/[ab]/          @nobody',
  ].join('\n');
  const codeowners = parseCodeowners(file);

  const cases: [string, string[]][] = [
    ['manifests/site.pp', ['@carol']],
    ['modules/webapp/manifests/init.pp', ['@bob', '@erin']],
    ['modules/webapp/files/app.conf', ['@org/web-team', 'dave@example.com']],
    ['modules/webapp/README.md', []],
    ['my notes/todo.txt', ['@alice']],
    ['modules/motd/manifests/init.pp', ['@alice']],
    ['modules/motd/', ['@alice']],
    ['./modules/motd/x.pp', ['@alice']],
    ['/modules/motd/x.pp', ['@alice']],
    ['modules/broken/x.pp', ['@dave']],
  ];
  it.each(cases)('%s → %j (last match wins; a line without owners unowns)', (path, owners) => {
    expect(ownersOf(codeowners, path)).toEqual(owners);
  });

  it('reports lines GitHub would flag and keeps the rest', () => {
    expect(codeowners.problems).toEqual([
      { line: 9, message: "'@' is not a user, team or email" },
      { line: 9, message: "'not-an-owner' is not a user, team or email" },
      { line: 10, message: "character class in 'modules/[ab]/' is not supported by GitHub" },
    ]);
    expect(codeowners.rules.map((rule) => rule.line)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('an empty file owns nothing', () => {
    expect(ownersOf(parseCodeowners(''), 'a')).toEqual([]);
  });

  it('why the fixture repo anchors `/manifests/`: without the slash it matches at any depth', () => {
    const text = (manifests: string) =>
      `# Who reviews what (GitHub CODEOWNERS syntax).\nmodules/motd/ @alice\nmodules/webapp/ @bob @erin\n${manifests} @carol\n`;
    const fixture = parseCodeowners(text('manifests/'));
    // As GitHub reads it ("apps/ owns any file in an apps directory anywhere"): the last line wins
    // over the module lines for every module's manifests/ directory.
    expect(ownersOf(fixture, 'modules/motd/manifests/init.pp')).toEqual(['@carol']);
    expect(ownersOf(fixture, 'modules/motd/templates/motd.erb')).toEqual(['@alice']);
    expect(ownersOf(fixture, 'manifests/site.pp')).toEqual(['@carol']);
    expect(ownersOf(fixture, 'README.md')).toEqual([]);
    const anchored = parseCodeowners(text('/manifests/'));
    expect(ownersOf(anchored, 'modules/motd/manifests/init.pp')).toEqual(['@alice']);
    expect(ownersOf(anchored, 'modules/webapp/manifests/vhost.pp')).toEqual(['@bob', '@erin']);
    expect(ownersOf(anchored, 'manifests/site.pp')).toEqual(['@carol']);
  });

  it('handles CRLF line ends', () => {
    expect(ownersOf(parseCodeowners('* @a\r\nx/ @b\r\n'), 'x/y')).toEqual(['@b']);
  });
});
