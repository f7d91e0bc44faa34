import { describe, expect, it } from 'vitest';
import {
  describeTrigger,
  matchTrigger,
  parseTrigger,
  parseTriggerLines,
  type TriggerCondition,
  type TriggerContext,
  type TriggerExpr,
} from '../../../src/engine/builds/triggers.js';

const any = (field: TriggerCondition['field'], ...values: string[]): TriggerCondition => ({
  field,
  match: 'any',
  values,
});
const all = (field: TriggerCondition['field'], ...values: string[]): TriggerCondition => ({
  field,
  match: 'all',
  values,
});
/** Each argument is one clause (sections joined by `and`); clauses are OR'd. */
const dnf = (...clauses: TriggerCondition[][]): TriggerExpr => ({
  anyOf: clauses.map((allOf) => ({ allOf })),
});

const parsed = (line: string): TriggerExpr => {
  const result = parseTrigger(line);
  if (!result.ok) throw new Error(`expected ${line} to parse: ${result.error}`);
  return result.expr;
};

describe('parseTrigger', () => {
  it.each<[string, TriggerExpr]>([
    ['branch: master', dnf([any('branch', 'master')])],
    [
      'branch: master||develop and filepath: deploy/',
      dnf([any('branch', 'master', 'develop'), any('filepath', 'deploy')]),
    ],
    [
      String.raw`\branch master||develop and \filepath deploy/`,
      dnf([any('branch', 'master', 'develop'), any('filepath', 'deploy')]),
    ],
    [String.raw`\branch: master`, dnf([any('branch', 'master')])],
    ['branch:master', dnf([any('branch', 'master')])],
    ['branch: master || develop ||   release.*', dnf([any('branch', 'master', 'develop', 'release.*')])],
    ['text: force_build || buildBetch', dnf([any('text', 'force_build', 'buildBetch')])],
    ['text: [deploy] && [prod]', dnf([all('text', '[deploy]', '[prod]')])],
    ['branch: master or text: force_build', dnf([any('branch', 'master')], [any('text', 'force_build')])],
    [
      'branch: a and text: b or filepath: c',
      dnf([any('branch', 'a'), any('text', 'b')], [any('filepath', 'c')]),
    ],
    [
      'branch: a or text: b and filepath: c',
      dnf([any('branch', 'a')], [any('text', 'b'), any('filepath', 'c')]),
    ],
    ['branch: master AND text: go', dnf([any('branch', 'master'), any('text', 'go')])],
    ['text: rock and roll', dnf([any('text', 'rock and roll')])],
    ['text: rock and roll and branch: main', dnf([any('text', 'rock and roll'), any('branch', 'main')])],
    ['filepath: ./src/main && /src/test/', dnf([all('filepath', 'src/main', 'src/test')])],
    ['  branch: main  ', dnf([any('branch', 'main')])],
  ])('%s', (line, expected) => {
    expect(parseTrigger(line)).toEqual({ ok: true, expr: expected });
  });

  it.each<[string, string]>([
    ['', 'expected a trigger such as "branch: master", found an empty line'],
    [
      'branch master or text: force_build',
      `expected the trigger to start with branch:, text: or filepath:, found "branch master or text: force_build" (did you mean 'branch:'?)`,
    ],
    [
      'branchh: master',
      `expected the trigger to start with branch:, text: or filepath:, found "branchh: master" (did you mean 'branch:'?)`,
    ],
    ['master', 'expected the trigger to start with branch:, text: or filepath:, found "master"'],
    [
      'branch: master text: go',
      'expected "and" or "or" before text: (|| and && join values inside a section)',
    ],
    [
      'branch: master || text: go',
      'expected "and" or "or" before text: (|| and && join values inside a section)',
    ],
    ['branch:', 'branch: has no value'],
    ['branch: and text: go', 'branch: has no value'],
    ['branch: master||', 'branch: empty value in "master||"'],
    [
      'branch: master and',
      'branch: "master and" contains a space; join sections with "and" or "or" before branch:, text: or filepath:',
    ],
    [
      'text: force_build || buildBetch && again',
      'text: cannot mix || and && in one section; use two sections joined by "and" or "or"',
    ],
    ['branch: rc_[', 'branch: "rc_[" is not a valid regular expression (Unterminated character class)'],
    ['filepath: /', 'filepath: "/" names no directory; drop the section to run on any change'],
    [
      '\branch main',
      'found a control character where \\branch, \\text or \\filepath was meant: in double-quoted YAML \\b, \\t and \\f are escapes, so use single quotes or branch:',
    ],
  ])('rejects %j', (line, error) => {
    expect(parseTrigger(line)).toEqual({ ok: false, error });
  });
});

describe('parseTriggerLines', () => {
  it('ORs the lines', () => {
    expect(parseTriggerLines(['branch: master', 'text: [deploy]'])).toEqual({
      ok: true,
      expr: dnf([any('branch', 'master')], [any('text', '[deploy]')]),
    });
  });

  it('names the first bad line', () => {
    expect(parseTriggerLines(['branch: master', 'nope'])).toEqual({
      ok: false,
      index: 1,
      error: 'expected the trigger to start with branch:, text: or filepath:, found "nope"',
    });
  });
});

describe('matchTrigger', () => {
  const on = (branch: string, message = 'a change', changedFiles: string[] = []): TriggerContext => ({
    branch,
    message,
    changedFiles,
  });

  it('always runs a stage without a trigger', () => {
    expect(matchTrigger(undefined, on('anything'))).toBe(true);
  });

  it.each<[string, TriggerContext, boolean]>([
    // branch alternatives are anchored regular expressions
    ['branch: master||develop', on('develop'), true],
    ['branch: master||develop', on('master'), true],
    ['branch: master||develop', on('master-old'), false],
    ['branch: master||develop', on('feature/master'), false],
    ['branch: rc_.*', on('rc_1.2'), true],
    ['branch: rc_.*', on('xrc_1'), false],
    // text is a case-sensitive substring of the message; && needs every value
    ['text: [deploy]', on('x', 'fix typo [deploy]'), true],
    ['text: [deploy]', on('x', 'fix typo [DEPLOY]'), false],
    ['text: [deploy] && [prod]', on('x', '[prod] and [deploy]'), true],
    ['text: [deploy] && [prod]', on('x', '[deploy] only'), false],
    ['text: force_build || buildBetch', on('x', 'please buildBetch'), true],
    // and / or between sections, and binding tighter
    ['branch: master and text: go', on('master', 'go now'), true],
    ['branch: master and text: go', on('develop', 'go now'), false],
    ['branch: master or text: go', on('develop', 'go now'), true],
    ['branch: master or text: go', on('develop', 'stop'), false],
    ['branch: a and text: b or filepath: c', on('z', 'none', ['c/x']), true],
    ['branch: a and text: b or filepath: c', on('a', 'none', ['d/x']), false],
    // filepath is a prefix on whole path segments
    ['filepath: deploy/', on('x', 'm', ['deploy/app.yml']), true],
    ['filepath: deploy', on('x', 'm', ['src/a.ts', 'deploy/helm/values.yaml']), true],
    ['filepath: deploy', on('x', 'm', ['deploy']), true],
    ['filepath: deploy', on('x', 'm', ['deployment/x']), false],
    ['filepath: deploy', on('x', 'm', ['src/deploy/x']), false],
    ['filepath: ./deploy', on('x', 'm', ['deploy/x']), true],
    ['filepath: deploy', on('x', 'm', []), false],
    ['filepath: src/main && src/test', on('x', 'm', ['src/main/A.java', 'src/test/ATest.java']), true],
    ['filepath: src/main && src/test', on('x', 'm', ['src/main/A.java']), false],
    ['filepath: src/main || src/test', on('x', 'm', ['src/test/ATest.java']), true],
    // the design's example
    [String.raw`\branch master||develop and \filepath deploy/`, on('develop', 'm', ['deploy/x']), true],
    [String.raw`\branch master||develop and \filepath deploy/`, on('develop', 'm', ['src/x']), false],
  ])('%s on %j', (line, context, expected) => {
    expect(matchTrigger(parsed(line), context)).toBe(expected);
  });

  it('runs when any line matches', () => {
    const lines = parseTriggerLines(['branch: master||develop and filepath: deploy/', 'text: [deploy]']);
    if (!lines.ok) throw new Error(lines.error);
    expect(matchTrigger(lines.expr, on('feature/x', 'ship it [deploy]'))).toBe(true);
    expect(matchTrigger(lines.expr, on('develop', 'm', ['deploy/a']))).toBe(true);
    expect(matchTrigger(lines.expr, on('develop', 'm', ['src/a']))).toBe(false);
  });
});

describe('describeTrigger', () => {
  it.each([
    ['branch: master||develop and filepath: deploy/', 'branch: master||develop and filepath: deploy'],
    [String.raw`\text a && b or \branch main`, 'text: a&&b or branch: main'],
  ])('%s reads back as %s and parses to the same', (line, text) => {
    const expr = parsed(line);
    expect(describeTrigger(expr)).toBe(text);
    expect(parsed(text)).toEqual(expr);
  });
});
