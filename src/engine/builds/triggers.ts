import { matchesWhole, patternProblem } from '../text/safe-regex.js';
import { didYouMean } from '../text/suggest.js';

/**
 * Stage triggers: when a stage of an ocelot.yml build runs.
 *
 * Grammar (one line; a stage's several lines are alternatives, OR'd together):
 *
 *   line     := section (joiner section)*
 *   joiner   := "and" | "or"                  (whole words, any case)
 *   section  := keyword value (op value)*     (one kind of op per section)
 *   keyword  := "branch:" | "text:" | "filepath:" | "\branch" | "\text" | "\filepath"
 *   op       := "||" | "&&"
 *
 * `and` binds tighter than `or`, as everywhere else: `a and b or c` is `(a and b) or c`. A joiner
 * only counts when a keyword follows it, so `text: rock and roll` is the phrase "rock and roll".
 * A keyword that follows a value without a joiner is an error rather than a guess. Hence a value
 * cannot contain `||`, `&&` or a keyword after a space; nothing in Ocelot's files needed that.
 *
 * Semantics of one value, given the commit being built:
 *   branch    a regular expression matched against the whole branch name (`rc_.*` means
 *             ^(?:rc_.*)$), on RE2 (text/safe-regex.ts: linear time, no lookaround); a branch
 *             name over MAX_BRANCH_BYTES matches nothing
 *   text      a case-sensitive substring of the commit message (as Ocelot did)
 *   filepath  a path prefix on whole segments: `deploy` and `deploy/` match `deploy/app.yml` and
 *             a file named `deploy`, not `deployment/x`; leading `./` or `/` is ignored. A value
 *             matches when at least one changed file is under it. Ocelot used a bare substring,
 *             which let `src/main` match `old/src/main2`; a prefix says what people mean.
 * `||` needs one value to match, `&&` needs every value to match (for filepath: every prefix has
 * some changed file under it, not necessarily the same file). With no changed files known (a
 * manual build of a SHA) no filepath section matches. A stage without a trigger always runs.
 */

export type TriggerField = 'branch' | 'text' | 'filepath';

export interface TriggerCondition {
  field: TriggerField;
  /** `any` for `||` (and for a single value), `all` for `&&`. */
  match: 'any' | 'all';
  values: string[];
}

/** Every condition must hold: one run of sections joined by `and`. */
export interface TriggerClause {
  allOf: TriggerCondition[];
}

/**
 * The whole trigger in disjunctive normal form: it matches when any clause does. Plain data (no
 * RegExp objects), so a parsed pipeline can be stored and sent to workers as JSON.
 */
export interface TriggerExpr {
  anyOf: TriggerClause[];
}

export interface TriggerContext {
  branch: string;
  /** The commit message; for a push of several commits, their messages joined by newlines. */
  message: string;
  /** Paths relative to the repository root, `/`-separated. */
  changedFiles: readonly string[];
}

export type TriggerParse = { ok: true; expr: TriggerExpr } | { ok: false; error: string };

const keywordNames = ['branch:', 'text:', 'filepath:'];
const keywordSource = String.raw`\\(?:branch|text|filepath)\b:?|(?:branch|text|filepath):`;
/** A keyword at the start of the line or after whitespace; `mybranch:` is not one. */
const keywordPattern = new RegExp(`(^|\\s)(${keywordSource})`, 'g');
const joinerBefore = /\s(and|or)\s*$/i;

/** Anchors a branch pattern so `master` does not also match `master-old`. */
export const anchoredPattern = (source: string): string => `^(?:${source})$`;

/**
 * Git allows branch names of any length (a ref is a path of directories), so anyone who can push
 * can make one of megabytes. Past a file name's usual limit a name is never matched or built:
 * it would cost matching time and chat space, and no branch meant to be built is that long.
 */
export const MAX_BRANCH_BYTES = 255;

/** Why a branch name is never built, or undefined when it may be. */
export const branchNameProblem = (branch: string): string | undefined => {
  const bytes = Buffer.byteLength(branch, 'utf8');
  return bytes > MAX_BRANCH_BYTES
    ? `the branch name is ${bytes} bytes long; branches longer than ${MAX_BRANCH_BYTES} bytes are never built`
    : undefined;
};

/** A branch pattern as written (unanchored) against the whole name, within the length cap. */
export const branchMatches = (source: string, branch: string): boolean =>
  branchNameProblem(branch) === undefined && matchesWhole(source, branch);

/**
 * Why `source` is not a usable branch pattern, as a phrase after the quoted pattern
 * (`is not a valid regular expression (…)`, `cannot be matched in linear time (…)`).
 */
export const branchPatternProblem = (source: string): string | undefined => patternProblem(source);

export const parseTrigger = (line: string): TriggerParse => {
  const text = line.trim();
  if (text === '') return fail('expected a trigger such as "branch: master", found an empty line');
  if (/[\b\t\f](?:ranch|ext|ilepath)\b/.test(line)) {
    return fail(
      'found a control character where \\branch, \\text or \\filepath was meant: in double-quoted YAML \\b, \\t and \\f are escapes, so use single quotes or branch:',
    );
  }
  const keywords = [...text.matchAll(keywordPattern)].map((m) => ({
    start: (m.index ?? 0) + (m[1] ?? '').length,
    keyword: m[2] ?? '',
  }));
  const first = keywords[0];
  if (first?.start !== 0) {
    const word = `${(text.split(/[\s:]/)[0] ?? '').replace(/^\\/, '')}:`;
    const hint = didYouMean(word, keywordNames);
    return fail(`expected the trigger to start with branch:, text: or filepath:, found "${text}"${hint}`);
  }
  const clauses: TriggerCondition[][] = [[]];
  for (const [index, { start, keyword }] of keywords.entries()) {
    const next = keywords[index + 1];
    let raw = text.slice(start + keyword.length, next?.start ?? text.length);
    let joiner: string | undefined;
    if (next) {
      const found = joinerBefore.exec(raw);
      if (!found) {
        return fail(
          `expected "and" or "or" before ${next.keyword.trim()} (|| and && join values inside a section)`,
        );
      }
      joiner = (found[1] ?? '').toLowerCase();
      raw = raw.slice(0, found.index);
    }
    const field = keyword.replace(/[\\:]/g, '') as TriggerField;
    const condition = parseSection(field, raw.trim());
    if (typeof condition === 'string') return fail(condition);
    clauses.at(-1)?.push(condition);
    if (joiner === 'or') clauses.push([]);
  }
  return { ok: true, expr: { anyOf: clauses.map((allOf) => ({ allOf })) } };
};

/** Several lines are alternatives. The error names the line (0-based) that failed first. */
export const parseTriggerLines = (
  lines: readonly string[],
): { ok: true; expr: TriggerExpr } | { ok: false; index: number; error: string } => {
  const anyOf: TriggerClause[] = [];
  for (const [index, line] of lines.entries()) {
    const parsed = parseTrigger(line);
    if (!parsed.ok) return { ok: false, index, error: parsed.error };
    anyOf.push(...parsed.expr.anyOf);
  }
  return { ok: true, expr: { anyOf } };
};

const parseSection = (field: TriggerField, raw: string): TriggerCondition | string => {
  if (raw === '') return `${field}: has no value`;
  const hasOr = raw.includes('||');
  const hasAnd = raw.includes('&&');
  if (hasOr && hasAnd) {
    return `${field}: cannot mix || and && in one section; use two sections joined by "and" or "or"`;
  }
  const values = raw.split(hasAnd ? '&&' : '||').map((value) => value.trim());
  for (const value of values) {
    const problem = valueProblem(field, value, raw);
    if (problem) return `${field}: ${problem}`;
  }
  return {
    field,
    match: hasAnd ? 'all' : 'any',
    values: field === 'filepath' ? values.map(normalizePrefix) : values,
  };
};

const valueProblem = (field: TriggerField, value: string, raw: string): string | undefined => {
  if (value === '') return `empty value in "${raw}"`;
  if (field === 'text') return undefined;
  if (/\s/.test(value)) {
    return `"${value}" contains a space; join sections with "and" or "or" before branch:, text: or filepath:`;
  }
  if (field === 'filepath') {
    return normalizePrefix(value) === ''
      ? `"${value}" names no directory; drop the section to run on any change`
      : undefined;
  }
  const problem = branchPatternProblem(value);
  return problem && `"${value}" ${problem}`;
};

const normalizePrefix = (path: string): string => path.replace(/^(?:\.?\/)+/, '').replace(/\/+$/, '');

const fail = (error: string): TriggerParse => ({ ok: false, error });

/** True when the stage should run. No trigger means the stage always runs. */
export const matchTrigger = (expr: TriggerExpr | undefined, context: TriggerContext): boolean =>
  expr === undefined || matchingClause(expr, context) !== undefined;

/** The first clause that holds, to tell people why a stage ran. */
export const matchingClause = (expr: TriggerExpr, context: TriggerContext): TriggerClause | undefined =>
  expr.anyOf.find((clause) => clause.allOf.every((condition) => conditionHolds(condition, context)));

const conditionHolds = (condition: TriggerCondition, context: TriggerContext): boolean => {
  const test = (value: string): boolean => {
    switch (condition.field) {
      case 'branch':
        return branchMatches(value, context.branch);
      case 'text':
        return context.message.includes(value);
      case 'filepath':
        return context.changedFiles.some((file) => underPrefix(file, value));
    }
  };
  return condition.match === 'all' ? condition.values.every(test) : condition.values.some(test);
};

const underPrefix = (file: string, prefix: string): boolean => {
  const path = normalizePrefix(file);
  return path === prefix || path.startsWith(`${prefix}/`);
};

/** Canonical text of a trigger, e.g. `branch: master||develop and filepath: deploy`. */
export const describeTrigger = (expr: TriggerExpr): string => expr.anyOf.map(describeClause).join(' or ');

export const describeClause = (clause: TriggerClause): string =>
  clause.allOf
    .map(({ field, match, values }) => `${field}: ${values.join(match === 'all' ? '&&' : '||')}`)
    .join(' and ');
