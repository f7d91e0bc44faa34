import { describe, expect, it } from 'vitest';
import { HecklerError } from '../../../src/engine/errors.js';
import {
  ambiguousRevision,
  isFullSha,
  isHexPrefix,
  quoteRevision,
  unknownRevision,
  validateRevision,
} from '../../../src/engine/repo/revision.js';
import { escapeText } from '../../../src/engine/text/mrkdwn.js';

const refusal = (text: string): HecklerError => {
  try {
    validateRevision(text);
  } catch (error) {
    if (error instanceof HecklerError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
};

describe('validateRevision', () => {
  it.each([
    'v1',
    'v1.1',
    'v2.0.0-rc.1',
    'main',
    'feature/x',
    'hotfix/v1.1',
    'release_2024',
    'fe22',
    'fe228ab',
    '937986a3d1a2799e17cdb4cf14582769eb44ee34',
    'a'.repeat(100),
  ])('accepts %s', (text) => {
    expect(validateRevision(text)).toBe(text);
  });

  it.each([
    ['', 'it is empty'],
    ['x'.repeat(101), 'it is longer than 100 characters'],
    ['-rf', "it starts with '-'"],
    ['--upload-pack=x', "it starts with '-'"],
    ['--output=/etc/passwd', "it starts with '-'"],
    ['v1 v2', 'it contains whitespace or control characters'],
    ['v1\n', 'it contains whitespace or control characters'],
    ['v1\tmain', 'it contains whitespace or control characters'],
    ['v1\x00', 'it contains whitespace or control characters'],
    ['v1\x7f', 'it contains whitespace or control characters'],
    ['a..b', "ranges ('..') are not supported"],
    ['v1...v2', "ranges ('..') are not supported"],
    ['../etc/passwd', "ranges ('..') are not supported"],
    ['main@{1}', "reflog expressions ('@{…}') are not supported"],
    ['@{-1}', "reflog expressions ('@{…}') are not supported"],
    ['feature//x', "it contains '//'"],
    ['/main', "it starts or ends with '/'"],
    ['feature/', "it starts or ends with '/'"],
    ['main.lock', "it ends with '.lock'"],
    ['v1.', "a part of it starts or ends with '.'"],
    ['.hidden', "a part of it starts or ends with '.'"],
    ['feature/.x', "a part of it starts or ends with '.'"],
    ['$(reboot)', "it contains '$'"],
    ['`reboot`', "it contains '`'"],
    ['v1;reboot', "it contains ';'"],
    ['v1|sh', "it contains '|'"],
    ['v1&', "it contains '&'"],
    ['v1>x', "it contains '>'"],
    ["v1'", "it contains '''"],
    ['v1"', `it contains '"'`],
    ['v1\\x', "it contains '\\'"],
    ['v1^', "it contains '^'"],
    ['v1~1', "it contains '~'"],
    ['main:CODEOWNERS', "it contains ':'"],
    ['v*', "it contains '*'"],
    ['v?', "it contains '?'"],
    ['v[1]', "it contains '['"],
    ['HEAD@1', "it contains '@'"],
    ['vé', "it contains 'é'"],
  ])('refuses %j: %s', (text, reason) => {
    const error = refusal(text);
    expect(error.code).toBe('UNKNOWN_REVISION');
    // Error messages are chat text (escaped mrkdwn): `v1&` reads as typed, never as markup.
    expect(error.message).toBe(escapeText(`${quoteRevision(text)} is not a revision: ${reason}`));
    expect(error.hint).toMatch(/tag .* branch .* commit SHA/);
  });
});

describe('quoteRevision', () => {
  it.each([
    ['v1', "'v1'"],
    ['a\nb', "'a\\x0ab'"],
    ['\x1b[31mred', "'\\x1b[31mred'"],
    ['x'.repeat(41), `'${'x'.repeat(40)}…'`],
  ])('%j → %s', (text, quoted) => {
    expect(quoteRevision(text)).toBe(quoted);
  });
});

describe('SHA shapes', () => {
  it.each([
    ['937986a3d1a2799e17cdb4cf14582769eb44ee34', true, true],
    ['937986A3D1A2799E17CDB4CF14582769EB44EE34', false, true],
    ['9379', false, true],
    ['937', false, false],
    ['v1', false, false],
    [`${'a'.repeat(40)}0`, false, false],
  ])('%s: full %s, hex prefix %s', (text, full, prefix) => {
    expect(isFullSha(text)).toBe(full);
    expect(isHexPrefix(text)).toBe(prefix);
  });
});

describe('unknownRevision', () => {
  const candidates = ['v1', 'v1.1', 'v2', 'v3', 'v4', 'main', 'feature/x'];
  it.each([
    ['v9', ['v4', 'v3', 'v2'], "unknown revision 'v9' (did you mean 'v1'?); latest tags: v4, v3, v2"],
    ['v1.2', ['v4', 'v3', 'v2'], "unknown revision 'v1.2' (did you mean 'v1.1'?); latest tags: v4, v3, v2"],
    ['mian', ['v4'], "unknown revision 'mian' (did you mean 'main'?); latest tags: v4"],
    ['feature/y', [], "unknown revision 'feature/y' (did you mean 'feature/x'?); there are no tags yet"],
    ['release-2024', ['v4', 'v3'], "unknown revision 'release-2024'; latest tags: v4, v3"],
  ])('%s', (revision, latestTags, message) => {
    const error = unknownRevision(revision, { candidates, latestTags });
    expect(error.code).toBe('UNKNOWN_REVISION');
    expect(error.message).toBe(message);
    expect(error.hint).toBeDefined();
  });
});

describe('ambiguousRevision', () => {
  it('lists the matching commits and asks for more digits', () => {
    const error = ambiguousRevision('abcd', ['abcd0123456789aa', 'abcdffffffffffbb']);
    expect(error.code).toBe('UNKNOWN_REVISION');
    expect(error.message).toBe(
      "short SHA 'abcd' is ambiguous: it matches 2 commits (abcd01234567, abcdffffffff)",
    );
    expect(error.hint).toBe('Give more characters of the SHA.');
  });
});
