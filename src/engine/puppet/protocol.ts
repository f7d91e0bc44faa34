/**
 * The marker protocol between the node-side wrapper (command.ts) and the bot. After Puppet has
 * exited (so nothing interleaves), the wrapper prints on stdout:
 *
 *   \n@@HECKLER-REPORT <nonce> exit=<code>@@\n<reduced JSON, or nothing>\n@@HECKLER-REPORT <nonce> end@@\n
 *
 * The nonce is fresh per run, so no file content that Puppet prints (a diff) can forge a marker.
 */
const MARKER = '@@HECKLER-REPORT';
const NONCE = /^[A-Za-z0-9]{8,64}$/;

export const isNonce = (nonce: string): boolean => NONCE.test(nonce);

/** printf formats (no arguments besides the exit code) for the shell wrapper. */
export const beginMarkerFormat = (nonce: string) => `\\n${MARKER} ${nonce} exit=%s@@\\n`;
export const endMarkerFormat = (nonce: string) => `\\n${MARKER} ${nonce} end@@\\n`;

export interface SplitOutput {
  /** Puppet's own stdout, markers and report removed. */
  stdout: string;
  /** Puppet's exit code as the wrapper saw it; undefined when the markers are missing. */
  exitCode?: number;
  /** The reduced report text; undefined when Puppet wrote none (compile failure). */
  reportJson?: string;
  /** True when both markers arrived: the output was not cut short. */
  complete: boolean;
}

/** Splits the wrapper's stdout back into Puppet's stdout, its exit code and the reduced report. */
export const splitRunOutput = (stdout: string, nonce: string): SplitOutput => {
  if (!isNonce(nonce)) return { stdout, complete: false };
  const begin = new RegExp(`\\n${MARKER} ${nonce} exit=(\\d+)@@\\n`, 'g');
  // The last one: Puppet's output comes first, and cannot contain the nonce anyway.
  let match: RegExpExecArray | null = null;
  for (let next = begin.exec(stdout); next; next = begin.exec(stdout)) match = next;
  if (!match) return { stdout, complete: false };
  const afterBegin = match.index + match[0].length;
  const end = stdout.indexOf(`\n${MARKER} ${nonce} end@@`, afterBegin);
  const body = (end < 0 ? stdout.slice(afterBegin) : stdout.slice(afterBegin, end)).trim();
  return {
    stdout: stdout.slice(0, match.index),
    exitCode: Number(match[1]),
    ...(body === '' ? {} : { reportJson: body }),
    complete: end >= 0,
  };
};
