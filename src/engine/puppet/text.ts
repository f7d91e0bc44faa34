/**
 * Text clean-up for normalized reports. Two nodes making the same change must produce the same
 * text (grouping hashes it), so everything that varies per run or per node goes: the checkout
 * path, Ruby temp-file names, diff header timestamps, the node's own name in errors (and its workDir,
 * which differs only where nodes share a machine).
 */

/** One message; the processor caps strings at the same size on the node. */
export const MAX_TEXT_BYTES = 65_536;

/** Ruby's Dir::Tmpname: `<prefix>YYYYMMDD-<pid>-<random base36>`, e.g. `puppet-file20261123-4589-adlhuy`. */
const RUBY_TEMP = /(?<=[\w.-])\d{8}-\d+-[0-9a-z]+/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const NOISE: readonly RegExp[] = [
  /^Applied catalog in [\d.]+ seconds$/,
  /^Finished catalog run in [\d.]+ seconds$/,
  /^Compiled catalog for \S+ in environment \S+ in [\d.]+ seconds$/,
];

/** `Would have triggered 'refresh' from 2 events` (noop) and `Triggered 'refresh' from 1 event` (apply). */
export const REFRESH = /^(?:would have )?triggered '?refresh'? from \d+ events?$/i;

export const isNoise = (message: string): boolean => NOISE.some((pattern) => pattern.test(message.trim()));
export const isRefresh = (message: string): boolean => REFRESH.test(message.trim());

export interface TextContext {
  /** The checkout directory on the node, without a trailing slash. */
  checkout: string;
  /**
   * The node's workDir, without a trailing slash: shown as `<workDir>`. Nodes sharing one machine
   * (the demo's local nodes) manage files under their own workDir; the same change must read the same.
   */
  workDir?: string;
  /** The node's inventory name and certname: removed from error messages. */
  names: readonly string[];
}

/** Strips the checkout from a manifest path: `modules/motd/manifests/init.pp`. Others stay absolute. */
export const relativePath = (file: string, context: TextContext): string =>
  file.startsWith(`${context.checkout}/`) ? file.slice(context.checkout.length + 1) : file;

/** Every message: well-formed, capped, checkout-relative, temp names masked. */
export const cleanText = (text: string, context: TextContext): string =>
  maskPaths(cap(wellFormed(text)), context);

const wellFormed = (text: string) => text.replace(LONE_SURROGATE, '\uFFFD');
const maskPaths = (text: string, context: TextContext) => {
  const relative = text.replaceAll(`${context.checkout}/`, '');
  const masked = context.workDir ? relative.replaceAll(`${context.workDir}/`, '<workDir>/') : relative;
  return masked.replace(RUBY_TEMP, 'XXXXXX');
};

export const cap = (text: string, limit = MAX_TEXT_BYTES): string => {
  const bytes = Buffer.from(text);
  if (bytes.byteLength <= limit) return text;
  // Decoding a cut multi-byte character gives U+FFFD; drop that one character rather than show it.
  const head = bytes
    .subarray(0, limit)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${head}\n[heckler: truncated ${bytes.byteLength - limit} more bytes]`;
};

/**
 * Puppet's content diff: `\n--- /data/motd\t<mtime>\n+++ /tmp/puppet-file…\t<now>\n@@ …`. The
 * header keeps the paths (temp name masked) without timestamps; the body is the file's content
 * and stays exactly as it is.
 */
export const cleanDiff = (message: string, context: TextContext): string => {
  const lines = cap(wellFormed(message.replace(/^\n+/, '').replace(/\n+$/, ''))).split('\n');
  const hunk = lines.findIndex((line) => line.startsWith('@@'));
  const headerEnd = hunk < 0 ? lines.length : hunk;
  for (let index = 0; index < headerEnd; index++) {
    const line = lines[index] as string;
    lines[index] = maskPaths(/^(---|\+\+\+) /.test(line) ? line.replace(/\t.*$/, '') : line, context);
  }
  return lines.join('\n');
};

/** Whether a content-property log is Puppet's diff (or its "Binary files … differ"). */
export const isDiff = (message: string): boolean => {
  const text = message.replace(/^\n+/, '');
  return (text.startsWith('--- ') && text.includes('\n+++ ')) || /^Binary files .* differ$/.test(text);
};

/**
 * An error as Puppet words it, made the same on every node: `on node node1.example.com` is
 * dropped and any other mention of the node becomes `<node>`.
 */
export const cleanErrorMessage = (message: string, context: TextContext): string => {
  let text = cleanText(message, context).replace(/\s+on node \S+/g, '');
  // Longest first: the certname `node3.example.com` before the inventory name `node3`.
  const names = [...context.names].filter((name) => name !== '').sort((a, b) => b.length - a.length);
  for (const name of names) {
    text = text.replace(new RegExp(`(?<![\\w.-])${escapeRegExp(name)}(?![\\w-]|\\.\\w)`, 'g'), '<node>');
  }
  return text.trim();
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
