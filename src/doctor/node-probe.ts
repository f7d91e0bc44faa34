import { shellQuote } from '../engine/fleet/shell-quote.js';
import type { ExecResult, NodeSpec } from '../engine/ports/transport.js';
import type { CheckResult } from './checks.js';

/** Below this much free space where the checkout lives, a node fails the check. */
export const MIN_FREE_BYTES = 1024 ** 3;

/** How the node's Puppet is started (heckler.yml `puppet.command` and `puppet.env`). */
export interface PuppetInvocation {
  command: string;
  env: Readonly<Record<string, string>>;
}

/**
 * One command line that reports everything doctor asks a node, as `key=value` lines: git's version,
 * where `timeout` is, Puppet's (or OpenVox's) version, and `df` of the nearest existing directory
 * of the work dir (it may not exist before the first run).
 */
export const nodeProbeCommand = (node: Pick<NodeSpec, 'workDir'>, puppet: PuppetInvocation): string => {
  const env = Object.entries(puppet.env).map(([name, value]) => `${name}=${shellQuote(value)}`);
  const version = ['env', ...env, shellQuote(puppet.command), '--version'].join(' ');
  return [
    `printf 'git=%s\\n' "$(git --version 2>/dev/null | head -n 1)";`,
    `printf 'timeout=%s\\n' "$(command -v timeout 2>/dev/null)";`,
    `printf 'puppet=%s\\n' "$(${version} 2>/dev/null | head -n 1)";`,
    `d=${shellQuote(node.workDir)}; while [ ! -d "$d" ]; do d=$(dirname "$d"); done;`,
    `printf 'dir=%s\\n' "$d";`,
    `printf 'df=%s\\n' "$(df -Pk "$d" 2>/dev/null | tail -n 1)"`,
  ].join(' ');
};

const fields = (stdout: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0 && !out.has(line.slice(0, at))) out.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return out;
};

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** The connection's line(s): reachable and host key verified, or the one failure that stopped it. */
export const connectionResults = (node: NodeSpec, check: ExecResult, knownHosts?: string): CheckResult[] => {
  const subject = node.name;
  if (check.status === 'ok') {
    if (node.transport === 'local')
      return [{ subject, check: 'reachable', ok: true, found: 'local node (no ssh)' }];
    return [
      { subject, check: 'reachable', ok: true, found: `ssh ${node.user}@${node.host}:${node.port}` },
      { subject, check: 'host key', ok: true, found: `matches ${knownHosts ?? 'known_hosts'}` },
    ];
  }
  const error = check.error ?? `${check.status}: ${check.stderr || check.stdout}`.trim();
  if (/host key/i.test(error))
    return [
      {
        subject,
        check: 'host key',
        ok: false,
        found: error,
        advice: `compare with the node's own key (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on it), then fix ${knownHosts ?? 'fleet.ssh.knownHosts'} as the message says`,
      },
    ];
  return [
    {
      subject,
      check: 'reachable',
      ok: false,
      found: error,
      advice: `make ${node.host}:${node.port} reachable over ssh for user ${node.user} (the message says what failed), then run doctor again`,
    },
  ];
};

/** The probe's answer as lines: git, timeout, Puppet, free space. */
export const probeResults = (
  node: NodeSpec,
  result: ExecResult,
  puppet: PuppetInvocation,
  minFreeBytes = MIN_FREE_BYTES,
): CheckResult[] => {
  const subject = node.name;
  if (result.status !== 'ok')
    return [
      {
        subject,
        check: 'tools',
        ok: false,
        found: result.error ?? `the probe ${result.status} (exit ${result.exitCode})`,
        advice:
          'run the checks by hand over ssh (git --version; command -v timeout; puppet --version; df -Pk)',
      },
    ];
  const found = fields(result.stdout);
  const git = found.get('git') ?? '';
  const timeout = found.get('timeout') ?? '';
  const version = found.get('puppet') ?? '';
  const dir = found.get('dir') || node.workDir;
  const df = (found.get('df') ?? '').split(/\s+/);
  const availableKb = Number(df[3]);
  const lines: CheckResult[] = [
    /^git version \S+/.test(git)
      ? { subject, check: 'git', ok: true, found: git }
      : {
          subject,
          check: 'git',
          ok: false,
          found: `git is not on the PATH of ${node.user}`,
          advice: `install git on ${subject} (apt-get install git): code reaches nodes as git bundles`,
        },
    timeout.startsWith('/')
      ? { subject, check: 'timeout', ok: true, found: timeout }
      : {
          subject,
          check: 'timeout',
          ok: false,
          found: `timeout is not on the PATH of ${node.user}`,
          advice: `install coreutils on ${subject}: every Puppet run is bounded with timeout`,
        },
    /^\d+\.\d+/.test(version)
      ? { subject, check: 'puppet', ok: true, found: `${puppet.command} ${version}` }
      : {
          subject,
          check: 'puppet',
          ok: false,
          found: `'${puppet.command} --version' printed no version`,
          advice: `install Puppet or OpenVox on ${subject}, or set puppet.command to its full path (e.g. /opt/puppetlabs/bin/puppet)`,
        },
  ];
  if (!Number.isFinite(availableKb))
    lines.push({
      subject,
      check: 'free space',
      ok: false,
      found: `df could not tell the free space of ${dir}`,
      advice: `check that ${dir} exists on ${subject} and df works there`,
    });
  else {
    const bytes = availableKb * 1024;
    const ok = bytes >= minFreeBytes;
    lines.push({
      subject,
      check: 'free space',
      ok,
      found: `${gib(bytes)} free in ${dir}${df[5] ? ` (on ${df[5]})` : ''}`,
      ...(ok
        ? {}
        : {
            advice: `free space on ${subject} (at least ${gib(minFreeBytes)}): the checkout and Puppet's reports live in ${node.workDir}`,
          }),
    });
  }
  return lines;
};
