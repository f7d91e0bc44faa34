import { matchesSomewhere, patternProblem } from '../text/safe-regex.js';

/**
 * Which manifest defines a node: the `node` statements of Puppet manifests, and Puppet's rule for
 * picking one (DESIGN.md §3.5: a change nobody else owns belongs to whoever owns the node's
 * definition). Manifests come from the repository, so nothing here may throw on bad input or run
 * a pattern for long: patterns run on RE2 (linear time), and whatever RE2 refuses matches nothing.
 */
export type NodeMatcher =
  /** Lower-cased, as Puppet compares names. */
  | { kind: 'name'; name: string }
  /** As written between the slashes. */
  | { kind: 'regex'; source: string }
  | { kind: 'default' };

export interface NodeDefinition {
  file: string;
  /** 1-based line of the `node` keyword. */
  line: number;
  matcher: NodeMatcher;
}

export interface ManifestProblem {
  file: string;
  line: number;
  message: string;
}

export interface ParsedNodes {
  /** One per name: `node 'a', 'b' {}` gives two, on the same line. */
  definitions: NodeDefinition[];
  /** What could not be read; definitions found before it are kept. */
  problems: ManifestProblem[];
}

type TokenKind = 'word' | 'string' | 'regex' | 'variable' | 'punct';
interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  start: number;
  end: number;
}

/** Keywords after which `/` starts a regex, as in Puppet's lexer (where they are not NAMEs). */
const KEYWORDS = new Set('node default and or in case if elsif unless else inherits undef'.split(' '));
const WORD = /(?:::)?[A-Za-z0-9_][\w-]*(?:::[A-Za-z0-9_][\w-]*)*/y;
const VARIABLE = /\$(?:::)?\w+(?:::\w+)*/y;
const REGEX = /\/((?:[^\\/\n]|\\.)*)\//y;
// The tag is bounded so that a line of `@(@(@(…` costs each `@` a few steps, not the line's length.
const HEREDOC = /@\(\s*("?)([^":/)\r\n]{1,100}?)\1\s*(?::\s*[\w+-]*)?\s*(?:\/[\w$]*)?\s*\)/y;
/** `"${"${"…` nested deeper than this is not a manifest anyone wrote; stop instead of recursing on. */
const MAX_NESTING = 50;

class LexError extends Error {}

/** Tokens of a manifest, skipping comments, strings' insides and heredoc bodies. */
const tokenize = (text: string, problem: (line: number, message: string) => void): Token[] => {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const heredocs: { tag: string; line: number }[] = [];
  /**
   * A `/` before here cannot start a regex: one earlier on this line found no closing `/` before
   * the line's end, and a later one would find none either (every `/` it passed was escaped). So a
   * line of `/\/\/\…` is read once, not once per slash.
   */
  let noRegexBefore = 0;
  const sticky = (re: RegExp, at: number) => {
    re.lastIndex = at;
    return re.exec(text);
  };
  /** A heredoc's body starts on the line after its `@(TAG)` and ends at a line holding only the tag. */
  const newline = () => {
    line += 1;
    for (const doc of heredocs.splice(0)) {
      let closed = false;
      while (i < text.length && !closed) {
        const next = text.indexOf('\n', i);
        const stop = next < 0 ? text.length : next;
        closed =
          text
            .slice(i, stop)
            .replace(/^[ \t]*\|?[ \t]*-?[ \t]*/, '')
            .trimEnd() === doc.tag;
        i = stop + 1;
        line += 1;
      }
      if (!closed) throw new LexError(`heredoc @(${doc.tag}) from line ${doc.line} is never closed`);
    }
  };
  /** Skips a quoted string whose opening quote is at `i`; interpolations `${…}` may hold code. */
  const skipString = (depth: number) => {
    const quote = text[i];
    const from = line;
    i += 1;
    while (i < text.length) {
      const char = text[i];
      if (char === quote) {
        i += 1;
        return;
      }
      if (char === '\\') i += 1;
      else if (quote === '"' && char === '$' && text[i + 1] === '{') {
        i += 2;
        skipCode(depth + 1);
        continue;
      }
      if (text[i] === '\n') line += 1;
      i += 1;
    }
    throw new LexError(`string opened on line ${from} is never closed`);
  };
  /** Skips the code of an interpolation up to its closing `}` (the string then goes on). */
  const skipCode = (depth: number) => {
    if (depth > MAX_NESTING) throw new LexError(`strings nested more than ${MAX_NESTING} deep`);
    let braces = 0;
    while (i < text.length) {
      const char = text[i];
      if (char === '"' || char === "'") {
        skipString(depth);
        continue;
      }
      i += 1;
      if (char === '\n') line += 1;
      else if (char === '{') braces += 1;
      else if (char === '}') {
        if (braces === 0) return;
        braces -= 1;
      }
    }
  };
  const regexAcceptable = () => {
    const last = tokens.at(-1);
    if (!last) return true;
    if (last.kind === 'word') return KEYWORDS.has(last.text);
    return last.kind === 'punct' && last.text !== ')' && last.text !== ']';
  };
  const push = (kind: TokenKind, value: string, start: number) => {
    tokens.push({ kind, text: value, line, start, end: i });
  };

  try {
    while (i < text.length) {
      const char = text[i] ?? '';
      const start = i;
      if (char === '\n') {
        i += 1;
        newline();
      } else if (/\s/.test(char)) i += 1;
      else if (char === '#') {
        const end = text.indexOf('\n', i);
        i = end < 0 ? text.length : end;
      } else if (char === '/' && text[i + 1] === '*') {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) throw new LexError(`comment opened on line ${line} is never closed`);
        line += text.slice(i, close).split('\n').length - 1;
        i = close + 2;
      } else if (char === '"' || char === "'") {
        const startLine = line;
        skipString(0);
        const inner = text.slice(start + 1, i - 1).replace(/\\(.)/gs, '$1');
        tokens.push({ kind: 'string', text: inner, line: startLine, start, end: i });
      } else if (char === '/' && i >= noRegexBefore && regexAcceptable() && sticky(REGEX, i)) {
        i = REGEX.lastIndex;
        push('regex', text.slice(start + 1, i - 1), start);
      } else if (char === '@' && sticky(HEREDOC, i)) {
        heredocs.push({ tag: (sticky(HEREDOC, i)?.[2] ?? '').trim(), line });
        i = HEREDOC.lastIndex;
        push('string', '', start);
      } else {
        if (char === '/' && i >= noRegexBefore && regexAcceptable()) {
          const end = text.indexOf('\n', i);
          noRegexBefore = end < 0 ? text.length : end;
        }
        const match = sticky(VARIABLE, i) ?? sticky(WORD, i);
        i = match ? start + match[0].length : i + 1;
        push(match?.[0].startsWith('$') ? 'variable' : match ? 'word' : 'punct', text.slice(start, i), start);
      }
    }
    if (heredocs.length > 0) newline();
  } catch (error) {
    if (!(error instanceof LexError)) throw error;
    problem(line, error.message);
  }
  return tokens;
};

const isPunct = (token: Token | undefined, text: string) => token?.kind === 'punct' && token.text === text;

/** A hostname at `tokens[at]`: its matcher and the index after it, or undefined when there is none. */
const hostname = (tokens: readonly Token[], at: number): [NodeMatcher, number] | undefined => {
  const token = tokens[at];
  if (token?.kind === 'string') return [{ kind: 'name', name: token.text.toLowerCase() }, at + 1];
  if (token?.kind === 'regex') return [{ kind: 'regex', source: token.text }, at + 1];
  if (token?.kind !== 'word') return undefined;
  if (token.text === 'default') return [{ kind: 'default' }, at + 1];
  // A bare name may be dotted (`web01.example.com`): words and dots written without spaces.
  let end = at + 1;
  let name = token.text;
  for (let next = tokens[end]; next && next.start === tokens[end - 1]?.end; next = tokens[end]) {
    if (next.kind !== 'word' && !isPunct(next, '.')) break;
    name += next.text;
    end += 1;
  }
  return [{ kind: 'name', name: name.toLowerCase() }, end];
};

/** The `node` statements of one manifest. Never throws: what it cannot read becomes a problem. */
export const parseNodeDefinitions = (file: string, text: string): ParsedNodes => {
  const problems: ManifestProblem[] = [];
  const tokens = tokenize(text, (line, message) => problems.push({ file, line, message }));
  const definitions: NodeDefinition[] = [];
  let depth = 0;
  for (let at = 0; at < tokens.length; at += 1) {
    const token = tokens[at] as Token;
    if (isPunct(token, '{')) depth += 1;
    if (isPunct(token, '}')) depth = Math.max(0, depth - 1);
    // Node definitions live at the top level; `node` elsewhere is an attribute or a hash key.
    if (depth > 0 || token.kind !== 'word' || token.text !== 'node') continue;
    const matchers: NodeMatcher[] = [];
    let next = at + 1;
    for (let found = hostname(tokens, next); found; found = hostname(tokens, next)) {
      matchers.push(found[0]);
      next = found[1];
      if (!isPunct(tokens[next], ',')) break;
      next += 1;
    }
    if (matchers.length === 0) continue;
    // Puppet 3's `inherits` names a parent node; it does not change which names this one matches.
    if (tokens[next]?.kind === 'word' && tokens[next]?.text === 'inherits')
      next = hostname(tokens, next + 1)?.[1] ?? next + 1;
    if (!isPunct(tokens[next], '{')) {
      problems.push({ file, line: token.line, message: "a node statement without its '{' body" });
      continue;
    }
    for (const matcher of matchers) definitions.push({ file, line: token.line, matcher });
    at = next - 1;
  }
  if (depth > 0)
    problems.push({ file, line: tokens.at(-1)?.line ?? 1, message: `${depth} '{' never closed` });
  return { definitions, problems };
};

/** Every manifest's `node` statements together. */
export const parseManifests = (manifests: Iterable<{ file: string; text: string }>): ParsedNodes => {
  const all: ParsedNodes = { definitions: [], problems: [] };
  for (const { file, text } of manifests) {
    const parsed = parseNodeDefinitions(file, text);
    // One by one: spreading a manifest's 200 000 definitions into push() overflows the stack.
    for (const definition of parsed.definitions) all.definitions.push(definition);
    for (const problem of parsed.problems) all.problems.push(problem);
  }
  return all;
};

export interface DefiningFiles {
  /** Files holding the chosen definitions, each once, in definition order. */
  files: string[];
  /** Puppet's rule that chose them: an exact name, else regexes, else `default`. */
  rule: 'name' | 'regex' | 'default' | 'none';
  /** Several means Puppet cannot decide (regexes) or refuses the catalog (a name defined twice). */
  definitions: NodeDefinition[];
  /** Patterns that could not be checked, which are taken to match nothing. */
  problems: string[];
}

const unique = (definitions: readonly NodeDefinition[]) => [...new Set(definitions.map((d) => d.file))];

/**
 * Which definition(s) Puppet gives the node `certname`: those naming it exactly (Puppet compares
 * lower-cased), else every regex that matches the lower-cased name, else `default`.
 */
export const definingFiles = (definitions: readonly NodeDefinition[], certname: string): DefiningFiles => {
  const name = certname.toLowerCase();
  const exact = definitions.filter((d) => d.matcher.kind === 'name' && d.matcher.name === name);
  if (exact.length > 0) return { files: unique(exact), rule: 'name', definitions: exact, problems: [] };
  const problems: string[] = [];
  const matched = definitions.filter((definition) => {
    if (definition.matcher.kind !== 'regex') return false;
    const problem = patternProblem(definition.matcher.source);
    if (problem === undefined) return matchesSomewhere(definition.matcher.source, name);
    const shown = definition.matcher.source.slice(0, 80);
    problems.push(`${definition.file}:${definition.line}: /${shown}/ ${problem}; taken to match nothing`);
    return false;
  });
  if (matched.length > 0) return { files: unique(matched), rule: 'regex', definitions: matched, problems };
  const fallback = definitions.filter((d) => d.matcher.kind === 'default');
  const rule = fallback.length > 0 ? 'default' : 'none';
  return { files: unique(fallback), rule, definitions: fallback, problems };
};
