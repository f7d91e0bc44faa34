/**
 * The marker protocol between the node-side wrapper (command.ts) and the bot. After Puppet has
 * exited (so nothing interleaves), the wrapper prints on stdout:
 *
 *   \n@@HECKLER-REPORT <nonce> exit=<code>@@\n<reduced JSON, or nothing>\n@@HECKLER-REPORT <nonce> end@@\n
 *
 * The nonce is fresh per run, so no file content that Puppet prints (a diff) can forge a marker.
 *
 * When the checkout ships a copy of Heckler's own report processor, Puppet does not run and the
 * wrapper prints instead, one file per line:
 *
 *   \n@@HECKLER-REPORT <nonce> shadowed@@\n<file>\n…\n@@HECKLER-REPORT <nonce> end@@\n
 */
const MARKER = '@@HECKLER-REPORT';
const NONCE = /^[A-Za-z0-9]{8,64}$/;

export const isNonce = (nonce: string): boolean => NONCE.test(nonce);

/** printf formats for the shell wrapper; the begin marker takes the exit code. */
export const beginMarkerFormat = (nonce: string) => `\\n${MARKER} ${nonce} exit=%s@@\\n`;
export const endMarkerFormat = (nonce: string) => `\\n${MARKER} ${nonce} end@@\\n`;
/** printf format with one `%s`: the files, newline-separated. */
export const shadowedMarkerFormat = (nonce: string) =>
  `\\n${MARKER} ${nonce} shadowed@@\\n%s${endMarkerFormat(nonce)}`;

export interface SplitOutput {
  /** Puppet's own stdout, markers and report removed. */
  stdout: string;
  /** Puppet's exit code as the wrapper saw it; undefined when the markers are missing. */
  exitCode?: number;
  /** The reduced report text; undefined when Puppet wrote none (compile failure). */
  reportJson?: string;
  /** True when both markers arrived: the output was not cut short. */
  complete: boolean;
  /** The files defining Heckler's own report processor, when the wrapper refused to run Puppet. */
  shadowed?: string[];
}

/** Splits the wrapper's stdout back into Puppet's stdout, its exit code and the reduced report. */
export const splitRunOutput = (stdout: string, nonce: string): SplitOutput => {
  if (!isNonce(nonce)) return { stdout, complete: false };
  const refused = stdout.indexOf(`\n${MARKER} ${nonce} shadowed@@\n`);
  if (refused >= 0) return splitShadowed(stdout, nonce, refused);
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

const splitShadowed = (stdout: string, nonce: string, at: number): SplitOutput => {
  const start = at + `\n${MARKER} ${nonce} shadowed@@\n`.length;
  const end = stdout.indexOf(`\n${MARKER} ${nonce} end@@`, start);
  const body = end < 0 ? stdout.slice(start) : stdout.slice(start, end);
  return {
    stdout: stdout.slice(0, at),
    shadowed: body.split('\n').filter((line) => line !== ''),
    complete: end >= 0,
  };
};
