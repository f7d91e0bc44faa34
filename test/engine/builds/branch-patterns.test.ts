import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildsSchema } from '../../../src/config/builds-schema.js';
import { branchAllowed, type Pipeline, parsePipelineFile } from '../../../src/engine/builds/pipeline.js';
import {
  branchNameProblem,
  MAX_BRANCH_BYTES,
  matchTrigger,
  parseTrigger,
  type TriggerExpr,
} from '../../../src/engine/builds/triggers.js';
import { repoAllows, type WatchedRepo } from '../../../src/engine/builds/watch.js';
import { patternProblem } from '../../../src/engine/text/safe-regex.js';
import { run } from '../../support/process.js';

/**
 * Branch patterns come from repositories (ocelot.yml) and heckler.yml, branch names from anyone
 * who can push. On JavaScript's backtracking engine `(a|a)+$` against 26 characters took 467 ms,
 * doubling per character: the hostile cases would run for longer than the universe has existed.
 * They run in a child process (hostile-branch-match.ts) so that on such an engine the test fails
 * at its deadline; in this worker a spinning match would also stop vitest's own timeout.
 */
const HOSTILE_DEADLINE_MS = 20_000;

const pipelineOf = (yaml: string): Pipeline => {
  const parsed = parsePipelineFile(yaml);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const [pipeline] = parsed.pipelines;
  if (!pipeline) throw new Error('no pipeline');
  return pipeline;
};
const withBranches = (...patterns: string[]) =>
  pipelineOf(`image: alpine\nbranches: ${JSON.stringify(patterns)}\nstages: [{name: a, script: ["true"]}]\n`);
const trigger = (line: string): TriggerExpr => {
  const parsed = parseTrigger(line);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.expr;
};
const configRepo = (...branches: string[]): WatchedRepo => ({
  name: 'infra/api',
  url: 'https://github.com/infra/api.git',
  branches,
  source: 'config',
});
const on = (branch: string) => ({ branch, message: 'm', changedFiles: [] });

describe('catastrophic patterns on hostile branch names', () => {
  it('match nothing, in linear time, through every matcher', async () => {
    const script = fileURLToPath(new URL('./hostile-branch-match.ts', import.meta.url));
    const child = await run(process.execPath, ['--import', 'tsx', script], {
      timeoutMs: HOSTILE_DEADLINE_MS,
    });
    expect(child.timedOut, 'still matching at the deadline: the engine backtracks').toBe(false);
    expect(child.stderr).toBe('');
    const results = JSON.parse(child.stdout) as Record<string, boolean>;
    // 2 patterns × 4 names (10,000 characters, and 255 so the engine runs) × 5 matchers.
    expect(Object.keys(results)).toHaveLength(40);
    expect(Object.entries(results).filter(([, matched]) => matched)).toEqual([]);
  });

  it('still matches what such a pattern means, within the cap', () => {
    const longest = 'a'.repeat(MAX_BRANCH_BYTES);
    expect(branchAllowed(withBranches('(a|a)+'), longest)).toBe(true);
    expect(matchTrigger(trigger('branch: (a|a)+'), on(longest))).toBe(true);
    expect(repoAllows(configRepo('(a|a)+'), longest)).toBe(true);
  });
});

describe('branch names over 255 bytes', () => {
  const long = `release/${'x'.repeat(MAX_BRANCH_BYTES)}`;

  it('are never built, whatever the patterns, and the reason says so', () => {
    expect(branchAllowed(pipelineOf('image: a\nstages: [{name: a, script: ["true"]}]\n'), long)).toBe(false);
    expect(branchAllowed(withBranches('release/.*'), long)).toBe(false);
    expect(matchTrigger(trigger('branch: release/.*'), on(long))).toBe(false);
    expect(repoAllows({ ...configRepo(), branches: undefined }, long)).toBe(false);
    expect(branchNameProblem(long)).toBe(
      'the branch name is 263 bytes long; branches longer than 255 bytes are never built',
    );
  });

  it('count bytes, not characters', () => {
    const euros = '€'.repeat(85); // 3 bytes each: 255
    expect(branchNameProblem(euros)).toBeUndefined();
    expect(branchNameProblem(`${euros}x`)).toMatch(/is 256 bytes long/);
    expect(branchAllowed(withBranches('€+'), euros)).toBe(true);
  });
});

describe('patterns RE2 cannot run are refused when read, with the key path', () => {
  it.each([
    ['(?=rel)rel.*', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?!wip/).*', 'invalid or unsupported Perl syntax: `(?!`'],
    ['(?<=x)y', 'invalid named capture: `(?<=x)y`'],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
  ])('%s in ocelot.yml, a trigger and heckler.yml', (pattern, reason) => {
    const problem = `"${pattern}" cannot be matched in linear time (${reason}); write it without lookahead, lookbehind or backreferences`;
    const yaml =
      'pipelines:\n  main:\n    image: alpine\n' +
      `    branches: [main, develop, ${JSON.stringify(pattern)}]\n` +
      `    stages:\n      - name: deploy\n        triggers: [${JSON.stringify(`branch: ${pattern}`)}]\n` +
      '        script: ["true"]\n';
    expect(parsePipelineFile(yaml)).toEqual({
      ok: false,
      errors: [
        `pipelines.main.branches[2]: ${problem}`,
        `pipelines.main.stages[0].triggers[0] (stage "deploy"): branch: ${problem}`,
      ],
      warnings: [],
    });
    const config = buildsSchema.safeParse({ repos: [{ name: 'a/b', url: '/x', branches: [pattern] }] });
    expect(config.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      [
        'repos.0.branches.0',
        `expected a regular expression, found "${pattern}": it ${problem.slice(pattern.length + 3)}`,
      ],
    ]);
  });

  it('keeps JavaScript wording for what is invalid in both, and refuses overlong patterns', () => {
    expect(patternProblem('rc_[')).toBe('is not a valid regular expression (Unterminated character class)');
    expect(patternProblem('a)|(b')).toBe("is not a valid regular expression (Unmatched ')')");
    expect(patternProblem('a'.repeat(1001))).toBe('is longer than 1000 characters');
  });
});

describe('Ocelot branch tables under RE2', () => {
  it.each<[string, string, boolean]>([
    ['master', 'master', true],
    ['master', 'master-old', false],
    ['master|develop', 'develop', true],
    ['master|develop', 'feature/master', false],
    ['^rel.*', 'release/1.2', true],
    ['^rel.*', 'prerelease', false],
    ['rel.*$', 'release', true],
    ['feature/.*', 'feature/login', true],
    ['feature/.*', 'bugfix/feature/x', false],
    ['rc_.*', 'rc_1.2', true],
    ['release/.*', 'release/2024.1', true],
    ['release/\\d+\\.\\d+', 'release/10.4', true],
    ['release/\\d+\\.\\d+', 'release/10.x', false],
    ['[A-Z]+-\\d+', 'OPS-123', true],
    ['hotfix/[^/]+', 'hotfix/a/b', false],
    ['feat(ure)?/.+', 'feat/x', true],
    // RE2-only spellings mean what RE2 documents: case-insensitive, named group.
    ['(?i)main', 'MAIN', true],
    ['(?<kind>feat|fix)/.*', 'fix/y', true],
  ])('%s on %s', (pattern, branch, expected) => {
    expect(patternProblem(pattern)).toBeUndefined();
    expect(branchAllowed(withBranches(pattern), branch)).toBe(expected);
    expect(matchTrigger(trigger(`branch: ${pattern}`), on(branch))).toBe(expected);
    expect(repoAllows(configRepo(pattern), branch)).toBe(expected);
  });
});
