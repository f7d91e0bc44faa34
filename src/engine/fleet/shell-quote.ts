/**
 * Quoting for POSIX `sh` command lines that run on nodes. Every value that reaches a node's shell
 * goes through here, so a node name, path or revision can never become shell syntax.
 */

/** Words made only of these characters mean the same quoted or not; leaving them bare keeps logs readable. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One shell word that expands to exactly `value`. Inside single quotes nothing is special except
 * the closing quote, so a `'` is written as `'\''` (close, escaped quote, reopen).
 */
export const shellQuote = (value: string): string => {
  // A NUL cannot be part of an argument (C strings end there): refuse rather than truncate silently.
  if (value.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
};

/** A command line running `argv[0]` with the rest as its arguments, each quoted. */
export const shellCommand = (argv: readonly string[]): string => {
  if (argv.length === 0) throw new Error('a command needs at least a program name');
  return argv.map(shellQuote).join(' ');
};
