/**
 * CODEOWNERS as GitHub reads it: gitignore-like patterns, each followed by owners (`@user`,
 * `@org/team`, an email); the last matching line wins, and a line with no owners leaves its files
 * unowned. No `!` negation and no `[…]` classes (GitHub supports neither).
 */

export interface CodeownersRule {
  pattern: string;
  owners: string[];
  /** 1-based line in the file. */
  line: number;
  regex: RegExp;
}

export interface CodeownersProblem {
  line: number;
  message: string;
}

export interface Codeowners {
  rules: CodeownersRule[];
  /** Lines GitHub would flag; the rest of the file still applies. */
  problems: CodeownersProblem[];
}

/** `@user`, `@org/team`, or an email (the shapes config `approvals.owners` accepts as keys). */
const OWNER = /^(@[A-Za-z0-9][A-Za-z0-9-]*(?:\/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+)$/;

/** Splits on unescaped whitespace, stopping at an unescaped `#` that starts a word (a comment). */
const tokenize = (text: string): string[] => {
  const tokens: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char === '\\' && i + 1 < text.length) {
      // Kept escaped: the pattern compiler needs to tell `\*` from `*`.
      current += char + (text[i + 1] as string);
      i++;
    } else if (/\s/.test(char)) {
      if (current !== '') tokens.push(current);
      current = '';
    } else if (char === '#' && current === '') {
      break;
    } else current += char;
  }
  if (current !== '') tokens.push(current);
  return tokens;
};

export const parseCodeowners = (text: string): Codeowners => {
  const rules: CodeownersRule[] = [];
  const problems: CodeownersProblem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const [pattern, ...owners] = tokenize(raw);
    if (pattern === undefined) return;
    const invalid = owners.filter((owner) => !OWNER.test(owner));
    for (const owner of invalid) problems.push({ line, message: `'${owner}' is not a user, team or email` });
    const regex = compilePattern(pattern);
    if (regex instanceof Error) problems.push({ line, message: regex.message });
    else rules.push({ pattern, owners: owners.filter((owner) => OWNER.test(owner)), line, regex });
  });
  return { rules, problems };
};

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** One path segment's glob → regex: `*` and `?` stay inside the segment, `\x` is a literal x. */
const segmentRegex = (segment: string): string => {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const char = segment[i] as string;
    if (char === '\\') out += escapeRegex(segment[++i] ?? '');
    else if (char === '*') out += '[^/]*';
    else if (char === '?') out += '[^/]';
    else out += escapeRegex(char);
  }
  return out;
};

/**
 * A pattern → a regex over repository-relative paths. A slash at the start or in the middle anchors
 * it at the root, otherwise it matches at any depth; a trailing slash matches only what is inside a
 * directory; a match on a directory owns everything under it — except after a lone trailing `*`
 * (`docs/*` owns `docs/a.md`, not `docs/sub/b.md`, as GitHub documents).
 */
export const compilePattern = (pattern: string): RegExp | Error => {
  if (pattern.startsWith('!')) return new Error(`negated pattern '${pattern}' is not supported by GitHub`);
  if (/(^|[^\\])\[/.test(pattern))
    return new Error(`character class in '${pattern}' is not supported by GitHub`);
  const directoryOnly = pattern.endsWith('/') && !pattern.endsWith('\\/');
  const body = directoryOnly ? pattern.slice(0, -1) : pattern;
  const anchored = body.includes('/');
  const segments = body.replace(/^\//, '').split('/');
  let source = '';
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    // `**/` (leading or middle): zero or more directories; a trailing `/**`: everything inside.
    if (segment === '**') source += last ? '.*' : '(?:[^/]+/)*';
    else source += segmentRegex(segment) + (last ? '' : '/');
  });
  const lastSegment = segments[segments.length - 1];
  const prefix = anchored ? '^' : '^(?:.*/)?';
  const exact = lastSegment === '**' || (anchored && lastSegment === '*' && !directoryOnly);
  const suffix = exact ? '$' : directoryOnly ? '/.*$' : '(?:/.*)?$';
  return new RegExp(prefix + source + suffix);
};

const normalizePath = (path: string) => path.replace(/^\.?\//, '');

/** The owners of a repository-relative path (a directory when it ends with `/`); [] when none. */
export const ownersOf = (codeowners: Codeowners, path: string): string[] => {
  const target = normalizePath(path);
  for (let i = codeowners.rules.length - 1; i >= 0; i--) {
    const rule = codeowners.rules[i] as CodeownersRule;
    if (rule.regex.test(target)) return rule.owners;
  }
  return [];
};
