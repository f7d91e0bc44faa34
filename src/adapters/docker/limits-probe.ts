import type { LimitsReached } from '../../engine/ports/containers.js';

/**
 * Reads the kernel's counters of the container's own cgroup with shell builtins only (any image
 * with `sh` has them): `oom_kill N` in memory.events (cgroup v2) or memory.oom_control (v1), and
 * `max N` in pids.events (refused forks). The kernel counts before the killed process exits, so
 * reading after a stage ended never races it.
 */
export const PROBE_SCRIPT = [
  'for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control \\',
  '  /sys/fs/cgroup/pids.events /sys/fs/cgroup/pids/pids.events; do',
  '  if [ -r "$f" ]; then while read -r key value; do echo "$f $key $value"; done < "$f"; fi',
  'done',
].join('\n');

/** The probe's output in terms of the port; `oomKilled` is the engine's word on the container. */
export const readProbe = (output: string, oomKilled: boolean): LimitsReached => {
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) {
    const [file, key, value] = line.trim().split(/\s+/);
    if (!file || !key || value === undefined) continue;
    const kind = file.includes('/memory') ? 'memory' : 'pids';
    const name = `${kind} ${key}`;
    counts.set(name, (counts.get(name) ?? 0) + (Number(value) || 0));
  }
  return {
    outOfMemory: oomKilled || (counts.get('memory oom_kill') ?? 0) > 0,
    pids: (counts.get('pids max') ?? 0) > 0,
  };
};
