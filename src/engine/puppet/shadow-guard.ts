import { shellQuote } from '../fleet/shell-quote.js';
import { REPORT_PROCESSOR_FILE } from './processor-name.js';
import { shadowedMarkerFormat } from './protocol.js';

/**
 * Shell that refuses to run Puppet when a modulepath entry holds a module defining our processor:
 * ours comes first on the modulepath, but such a file can only be there to replace it (if the
 * order ever changes, or our module is missing), and nothing it writes may pass for a report.
 *
 * Puppet's autoloader searches the lib directory of every directory in every entry (dotted names
 * aside, valid module name or not); `sh` globs the same, following symlinked module directories as
 * Ruby does. Files are printed relative to the checkout when inside it. Ends in `exit 3` after
 * the refusal marker (protocol.ts); otherwise falls through with status 0.
 */
export const shadowGuard = (entries: readonly string[], checkout: string, nonce: string): string => {
  if (entries.length === 0) return 'true';
  const globs = entries.map((entry) => `${shellQuote(entry)}/*/${REPORT_PROCESSOR_FILE}`).join(' ');
  const prefix = shellQuote(`${checkout.replace(/\/+$/, '')}/`);
  return [
    // An assignment does not split words, and quotes make the prefix literal, not a pattern
    `shadowed=$(for f in ${globs}; do if [ -e "$f" ] || [ -L "$f" ]; then r=\${f#${prefix}}; printf '%s\\n' "$r"; fi; done) &&`,
    `if [ -n "$shadowed" ]; then printf '${shadowedMarkerFormat(nonce)}' "$shadowed"; exit 3; fi`,
  ].join(' ');
};
