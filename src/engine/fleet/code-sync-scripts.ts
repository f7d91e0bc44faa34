import { shellQuote } from './shell-quote.js';

/**
 * The shell scripts code sync runs on a node. Every value in them is a validated path or SHA and
 * passes through `shellQuote`; the scripts themselves are constant text.
 */

export interface ProbeReport {
  /** The commit the last successful sync left (from the state directory), if any. */
  synced?: string;
  repo: 'absent' | 'not-git' | 'corrupt' | 'ok';
  head?: string;
  /** Age in seconds of `.git/index.lock`, when there is one. */
  lockAgeS?: number;
  /** Some `git` process runs on the node (it might hold the lock). */
  gitRunning: boolean;
  /** The wanted commit is already in the node's repository. */
  hasSha: boolean;
  /** Modified, staged or untracked files in the checkout. */
  dirty: boolean;
}

/** Sets `c` (the checkout), `s` (the state directory) and `sha` for the scripts below. */
export const syncVars = (checkout: string, state: string, sha: string) =>
  `c=${shellQuote(checkout)}; s=${shellQuote(state)}; sha=${shellQuote(sha)}\n`;

/** Reads the node's state without changing anything; one `key value` per line. */
export const probeScript = (checkout: string, state: string, sha: string): string =>
  `${syncVars(checkout, state, sha)}${PROBE}`;

const PROBE = `if [ -f "$s/synced" ]; then echo "synced $(head -c 100 "$s/synced")"; fi
if [ ! -e "$c" ]; then echo "repo absent"; exit 0; fi
if [ ! -d "$c/.git" ]; then echo "repo not-git"; exit 0; fi
if [ -e "$c/.git/index.lock" ]; then
  echo "lock $(( $(date +%s) - $(stat -c %Y "$c/.git/index.lock") ))"
  if pgrep -x git >/dev/null 2>&1; then echo "git-running"; fi
fi
if head=$(git -C "$c" rev-parse --verify -q 'HEAD^{commit}' 2>/dev/null); then echo "head $head"; else echo "repo corrupt"; exit 0; fi
echo "repo ok"
if git -C "$c" cat-file -e "$sha^{commit}" 2>/dev/null; then echo "has"; fi
if [ -n "$(git -C "$c" --no-optional-locks status --porcelain --untracked-files=all 2>/dev/null | head -n 1)" ]; then echo "dirty"; fi
`;

export const parseProbe = (stdout: string, isSha: (value: string) => boolean): ProbeReport => {
  const report: ProbeReport = { repo: 'ok', gitRunning: false, hasSha: false, dirty: false };
  for (const line of stdout.split('\n')) {
    const [key, value = ''] = line.trim().split(/\s+/, 2);
    if (key === 'synced' && isSha(value)) report.synced = value;
    else if (
      key === 'repo' &&
      (value === 'absent' || value === 'not-git' || value === 'corrupt' || value === 'ok')
    )
      report.repo = value;
    else if (key === 'head' && isSha(value)) report.head = value;
    else if (key === 'lock' && /^-?\d+$/.test(value)) report.lockAgeS = Number(value);
    else if (key === 'git-running') report.gitRunning = true;
    else if (key === 'has') report.hasSha = true;
    else if (key === 'dirty') report.dirty = true;
  }
  return report;
};

export interface ApplyScriptOptions {
  checkout: string;
  state: string;
  sha: string;
  /** A bundle arrives on stdin. */
  withBundle: boolean;
  /** Start over: remove the checkout and `git init` a new repository before unbundling. */
  fresh: boolean;
  removeLock: boolean;
}

/**
 * Brings the checkout to exactly `sha`. The bundle is saved before anything is deleted, so a
 * transfer that breaks off leaves the old checkout in place. Hooks are off: a node's global git
 * config must not run code on checkout.
 */
export const applyScript = (options: ApplyScriptOptions): string => {
  const steps = [
    'set -e',
    syncVars(options.checkout, options.state, options.sha).trim(),
    'g() { git -C "$c" -c core.hooksPath=/dev/null -c advice.detachedHead=false "$@"; }',
    'mkdir -p "$s"',
  ];
  if (options.withBundle) steps.push('cat > "$s/incoming.bundle"');
  if (options.fresh) steps.push('rm -rf "$c"', 'git -c init.defaultBranch=heckler init -q "$c"');
  if (options.removeLock) steps.push('rm -f "$c/.git/index.lock"');
  if (options.withBundle)
    steps.push('g bundle unbundle "$s/incoming.bundle" >/dev/null', 'rm -f "$s/incoming.bundle"');
  steps.push(
    'g checkout -q --force --detach "$sha"',
    'g clean -q -ffdx',
    // A ref keeps the commit's objects safe from gc even though HEAD is detached.
    'g update-ref refs/heckler/synced "$sha"',
    'test "$(g rev-parse HEAD)" = "$sha"',
    `printf '%s\\n' "$sha" > "$s/synced.tmp"`,
    'mv -f "$s/synced.tmp" "$s/synced"',
    // Each unbundle adds a pack; let git consolidate now and then, in the foreground so nothing outlives the command.
    'g -c gc.autoDetach=false gc --auto --quiet || true',
  );
  return `${steps.join('\n')}\n`;
};
