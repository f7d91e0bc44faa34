import { HecklerError } from '../errors.js';
import { escapeText } from '../text/mrkdwn.js';
import { didYouMean } from '../text/suggest.js';

/** Longest revision text we accept; real tags, branches and SHAs are far shorter. */
export const MAX_REVISION_LENGTH = 100;

/** A full SHA-1 commit id as git prints it. */
export const isFullSha = (text: string): boolean => /^[0-9a-f]{40}$/.test(text);

/** Something that can only be an (abbreviated) object id: 4 to 40 hex digits. */
export const isHexPrefix = (text: string): boolean => /^[0-9a-fA-F]{4,40}$/.test(text);

const HINT = 'Give a tag (v2), a branch (main) or a commit SHA (at least 4 hex digits).';

/**
 * Each rule names why a text cannot be a revision. Checked in order, so the first reason is the
 * most specific one. The character rule alone rules out shell metacharacters and git's revision
 * syntax (`^`, `~`, `:`, `@{…}`); the others catch what git's own ref-name rules forbid, so a text
 * that passes is never taken as an option, a range or a reflog expression by git or a shell.
 */
const rules: readonly [test: (text: string) => boolean, reason: string][] = [
  [(text) => text.length === 0, 'it is empty'],
  [(text) => text.length > MAX_REVISION_LENGTH, `it is longer than ${MAX_REVISION_LENGTH} characters`],
  [(text) => text.startsWith('-'), "it starts with '-'"],
  [(text) => /[\s\x00-\x1f\x7f]/.test(text), 'it contains whitespace or control characters'],
  [(text) => text.includes('..'), "ranges ('..') are not supported"],
  [(text) => text.includes('@{'), "reflog expressions ('@{…}') are not supported"],
  [(text) => text.includes('//'), "it contains '//'"],
  [(text) => text.startsWith('/') || text.endsWith('/'), "it starts or ends with '/'"],
  [(text) => text.endsWith('.lock'), "it ends with '.lock'"],
  [(text) => text.endsWith('.') || /(^|\/)\./.test(text), "a part of it starts or ends with '.'"],
];

/** Shows user text safely inside a message: control characters escaped, long text cut short (literal text). */
export const quoteRevision = (text: string): string => {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  const escaped = shown.replace(
    /[\x00-\x1f\x7f]/g,
    (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return `'${escaped}'`;
};

/**
 * Accepts a tag, branch or (short) SHA, as text made only of `[A-Za-z0-9._/-]`; throws
 * UNKNOWN_REVISION naming the reason otherwise. Run before any text reaches git or a shell.
 */
export const validateRevision = (text: string): string => {
  for (const [test, reason] of rules) {
    if (test(text)) throw notARevision(text, reason);
  }
  const bad = /[^A-Za-z0-9._/-]/.exec(text);
  if (bad) throw notARevision(text, `it contains '${bad[0]}'`);
  return text;
};

const notARevision = (text: string, reason: string) =>
  new HecklerError('UNKNOWN_REVISION', escapeText(`${quoteRevision(text)} is not a revision: ${reason}`), {
    hint: HINT,
  });

export interface UnknownRevisionContext {
  /** Tag and branch names that could have been meant, for "did you mean". */
  candidates: Iterable<string>;
  /** Newest tags first, shown so the user sees what exists. */
  latestTags: readonly string[];
}

/** The error for a well-formed revision that names nothing: "unknown revision 'v9'; latest tags: v4, v3, v2". */
export const unknownRevision = (revision: string, context: UnknownRevisionContext): HecklerError => {
  const suggestion = didYouMean(revision, context.candidates);
  const tags =
    context.latestTags.length > 0 ? `latest tags: ${context.latestTags.join(', ')}` : 'there are no tags yet';
  return new HecklerError(
    'UNKNOWN_REVISION',
    escapeText(`unknown revision ${quoteRevision(revision)}${suggestion}; ${tags}`),
    {
      hint: HINT,
    },
  );
};

/** The error for a short SHA that matches more than one commit. */
export const ambiguousRevision = (revision: string, matches: readonly string[]): HecklerError =>
  new HecklerError(
    'UNKNOWN_REVISION',
    escapeText(
      `short SHA ${quoteRevision(revision)} is ambiguous: it matches ${matches.length} commits (${matches
        .map((sha) => sha.slice(0, 12))
        .join(', ')})`,
    ),
    { hint: 'Give more characters of the SHA.' },
  );
