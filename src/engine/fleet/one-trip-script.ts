import { type ProbeReport, parseProbe, probeScript, syncVars } from './code-sync-scripts.js';
import { FULL_SHA } from './node-layout.js';
import { shellQuote } from './shell-quote.js';

/**
 * The one command a run sends to a node when all goes well: make sure the checkout is exactly the
 * commit, then run what follows (the Puppet wrapper), in one round trip.
 *
 * The node checks its own state. Only a checkout that needs no repair is used: a repository with a
 * HEAD, no index.lock, not one modified, untracked or ignored file. When HEAD is another commit the
 * node already has, or one a bundle on stdin brings (built on what the node had last time), it
 * checks that commit out as code sync does. Anything else — a repair, a missing commit, a bundle
 * built on the wrong base, a git error — runs nothing: the node prints `ready-marker`, then the
 * probe (what it has), then git's error on stderr, and exits SYNC_NEEDED_EXIT. The bot then takes
 * the probe path (code-sync.ts), which knows every repair.
 */

/** Exit code of a node that did not run the command: sync first (EX_TEMPFAIL). */
export const SYNC_NEEDED_EXIT = 75;

export interface OneTripScriptOptions {
  checkout: string;
  state: string;
  sha: string;
  /** A bundle of `sha` minus the commit the node had comes on stdin. */
  withBundle: boolean;
  /** Printed first when the command did not run; carries the run's nonce so nothing else can print it. */
  marker: string;
  /** Runs once the checkout is exactly `sha`; its output and exit code are the command's. */
  command: string;
}

const MARKER = /^[A-Za-z0-9@-]{8,100}$/;
/** How much of git's complaint travels back: the `fatal:` line is all the bot reads. */
const ERROR_TAIL_BYTES = 4000;

export const oneTripScript = (options: OneTripScriptOptions): string => {
  if (!MARKER.test(options.marker)) throw new Error(`bad marker ${JSON.stringify(options.marker)}`);
  const bundle = options.withBundle;
  const sync = [
    'set -e',
    ...(bundle ? ['mkdir -p "$s"', 'cat > "$s/incoming.bundle"'] : []),
    'test -d "$c/.git"',
    'test ! -e "$c/.git/index.lock"',
    `head=$(g rev-parse --verify -q 'HEAD^{commit}')`,
    // --ignored too: clean -ffdx removes ignored files on every sync, so a tree with one is not the commit.
    'st=$(g --no-optional-locks status --porcelain --ignored --untracked-files=all)',
    'test -z "$st"',
    'if [ "$head" != "$sha" ]; then',
    '  if ! g cat-file -e "$sha^{commit}" 2>/dev/null; then',
    bundle ? '    g bundle unbundle "$s/incoming.bundle" >/dev/null' : `    echo "lacks $sha" >&2; exit 3`,
    '  fi',
    '  g checkout -q --force --detach "$sha"',
    '  g clean -q -ffdx',
    // A ref keeps the commit's objects safe from gc even though HEAD is detached.
    '  g update-ref refs/heckler/synced "$sha"',
    '  test "$(g rev-parse HEAD)" = "$sha"',
    '  g -c gc.autoDetach=false gc --auto --quiet || true',
    'fi',
    `if [ "$(cat "$s/synced" 2>/dev/null)" != "$sha" ]; then`,
    '  mkdir -p "$s"',
    `  printf '%s\\n' "$sha" > "$s/synced.tmp"`,
    '  mv -f "$s/synced.tmp" "$s/synced"',
    'fi',
    ...(bundle ? ['rm -f "$s/incoming.bundle"'] : []),
  ];
  return [
    syncVars(options.checkout, options.state, options.sha).trim(),
    'g() { git -C "$c" -c core.hooksPath=/dev/null -c advice.detachedHead=false "$@"; }',
    // An assignment is not a tested context, so `set -e` holds inside; the subshell's status is rc.
    `err=$( { (\n${sync.join('\n')}\n) >/dev/null; } 2>&1 )`,
    'rc=$?',
    'if [ "$rc" -ne 0 ]; then',
    ...(bundle ? ['  rm -f "$s/incoming.bundle" 2>/dev/null'] : []),
    `  echo ${shellQuote(options.marker)}`,
    `  ( ${probeScript(options.checkout, options.state, options.sha).trim().replaceAll('\n', '\n  ')} )`,
    `  printf '%s\\n' "$err" | tail -c ${ERROR_TAIL_BYTES} >&2`,
    `  exit ${SYNC_NEEDED_EXIT}`,
    'fi',
    options.command,
  ].join('\n');
};

export interface OneTripAnswer {
  /** The node ran the command: its output and exit code are the command's own. */
  ran: boolean;
  /** When it did not: what the node has, for the probe path. */
  probe?: ProbeReport;
}

/** Whether the node ran the command or answered with what it has (marker first on stdout, exit 75). */
export const readOneTrip = (stdout: string, exitCode: number | null, marker: string): OneTripAnswer => {
  if (exitCode !== SYNC_NEEDED_EXIT || !stdout.startsWith(`${marker}\n`)) return { ran: true };
  return { ran: false, probe: parseProbe(stdout.slice(marker.length + 1), (value) => FULL_SHA.test(value)) };
};
