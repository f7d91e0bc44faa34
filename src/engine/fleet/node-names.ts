import { HecklerError } from '../errors.js';
import { escapeText } from '../text/mrkdwn.js';
import { closest } from '../text/suggest.js';

/** Node and set names as the config accepts them (see src/config/fields.ts). */
export const NODE_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

/** How many known names an error lists before it says how many more there are. */
const LISTED = 8;

/**
 * A glob over node names: `*` is any run of characters, `?` one character, `[…]` a class.
 * Everything else is literal, so a `.` in `web?.dc1` means a dot.
 */
export const globToRegExp = (pattern: string): RegExp => {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        source += '\\[';
        continue;
      }
      const body = pattern.slice(i + 1, end);
      const negated = body.startsWith('!');
      source += `[${negated ? '^' : ''}${escapeClass(negated ? body.slice(1) : body)}]`;
      i = end;
    } else source += char.replace(/[\\^$.|+(){}\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
};

// Inside a class only `\`, `]` and `^` mean something to RegExp; a `-` between two characters stays a range.
const escapeClass = (body: string) => body.replace(/[\\\]^]/g, '\\$&');

/** `web1, web2, web3, … (20 in all)`: enough names to spot a typo without flooding the chat. */
export const listNames = (names: readonly string[]): string => {
  if (names.length === 0) return '(none)';
  if (names.length <= LISTED) return names.join(', ');
  return `${names.slice(0, LISTED).join(', ')}, … (${names.length} in all)`;
};

/** `unknown node 'web9' (did you mean 'web1'?); known: web1, web2`. */
export const unknownName = (kind: 'node' | 'set', name: string, known: readonly string[]): HecklerError => {
  const [guess] = closest(name, known, 1);
  const suggestion = guess === undefined ? '' : ` (did you mean '${guess}'?)`;
  return new HecklerError(
    'NOT_FOUND',
    escapeText(`unknown ${kind} '${name}'${suggestion}; known: ${listNames(known)}`),
    {
      hint:
        kind === 'node'
          ? 'use a node name from fleet.nodes in heckler.yml'
          : 'use a set name from fleet.sets in heckler.yml, or `all`',
    },
  );
};

/**
 * Several unknown nodes at once (from a list or a set's command): one error naming them all, so
 * the user fixes every typo in one go. `where` says which set they came from.
 */
export const unknownNodes = (
  names: readonly string[],
  known: readonly string[],
  where?: string,
): HecklerError => {
  const prefix = where === undefined ? '' : escapeText(`${where}: `);
  if (names.length === 1) {
    const error = unknownName('node', names[0] as string, known);
    return new HecklerError('NOT_FOUND', `${prefix}${error.message}`, { hint: error.hint });
  }
  const quoted = names.map((name) => `'${name}'`).join(', ');
  return new HecklerError(
    'NOT_FOUND',
    `${prefix}${escapeText(`unknown nodes ${quoted}; known: ${listNames(known)}`)}`,
    {
      hint: 'use node names from fleet.nodes in heckler.yml',
    },
  );
};
