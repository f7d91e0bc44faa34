import { RE2JS } from 're2js';

/**
 * Regular expressions written by repositories and users (ocelot.yml `branches:`, trigger
 * `branch:` values, heckler.yml `builds.repos[].branches`), matched in linear time.
 *
 * JavaScript's engine backtracks: `(a|a)+$` against 26 characters took 467 ms on the main thread
 * and doubles with each character, so a pushed branch name could freeze the bot. RE2 (re2js, a
 * pure-JS port) runs an automaton instead: time grows with the text, never exponentially. It
 * cannot express what needs backtracking (lookahead, lookbehind, backreferences); those patterns
 * are refused when the file or config is read, with the reason.
 *
 * Semantics where RE2 and JavaScript differ, for patterns both accept: RE2 reads code points
 * rather than UTF-16 units (`.` is one emoji, not half), `\s` is ASCII whitespace only, and `.`
 * also matches `\r` (neither occurs in a branch name). RE2 accepts a few spellings JavaScript
 * does not, such as `(?i)` and `\z`; they mean what RE2 documents.
 */

/** Longer patterns are not branch patterns anyone wrote, and compiling them costs time. */
export const MAX_PATTERN_LENGTH = 1000;
/** Distinct patterns kept compiled; the cache is emptied when full (patterns are few and reused). */
const CACHE_SIZE = 500;

type Compiled = RE2JS | { problem: string };
const cache = new Map<string, Compiled>();

const compile = (source: string): Compiled => {
  const known = cache.get(source);
  if (known !== undefined) return known;
  const compiled = compileUncached(source);
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(source, compiled);
  return compiled;
};

const compileUncached = (source: string): Compiled => {
  if (source.length > MAX_PATTERN_LENGTH) {
    return { problem: `is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  try {
    return RE2JS.compile(source);
  } catch (error) {
    const jsProblem = javascriptProblem(source);
    // Invalid for both engines: JavaScript's wording is the one people know.
    if (jsProblem !== undefined) return { problem: `is not a valid regular expression (${jsProblem})` };
    const reason = (error instanceof Error ? error.message : String(error)).replace(
      /^error parsing regexp: /,
      '',
    );
    return {
      problem: `cannot be matched in linear time (${reason}); write it without lookahead, lookbehind or backreferences`,
    };
  }
};

/** Compiling (never running) a JavaScript regex is cheap and cannot backtrack. */
const javascriptProblem = (source: string): string | undefined => {
  try {
    new RegExp(source);
    return undefined;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return text.slice(text.lastIndexOf(': ') + 2) || text;
  }
};

/**
 * Why `source` cannot be used, as a phrase that follows the quoted pattern
 * (`"(a" is not a valid regular expression (Unterminated group)`); undefined when it can.
 */
export const patternProblem = (source: string): string | undefined => {
  const compiled = compile(source);
  return compiled instanceof RE2JS ? undefined : compiled.problem;
};

/**
 * True when the whole of `text` matches `source` (`master` does not match `master-old`). A
 * pattern that cannot be compiled matches nothing: it was refused when read, so reaching here
 * means an old stored record, and matching nothing is the safe answer.
 */
export const matchesWhole = (source: string, text: string): boolean => {
  const compiled = compile(source);
  return compiled instanceof RE2JS && compiled.matches(text);
};

/** True when `source` matches somewhere in `text`; anchors in `source` mean what they say. */
export const matchesSomewhere = (source: string, text: string): boolean => {
  const compiled = compile(source);
  return compiled instanceof RE2JS && compiled.test(text);
};
