import type { IgnoreRule } from '../src/engine/delta/group.js';
import type { NormalizedReport, ResourceChange } from '../src/engine/puppet/types.js';

/**
 * Synthetic noops for `npm run bench -- grouping`: per node, the commit's noop and its parent's, as
 * JSON text (what the store hands back). Shaped like a real fleet, deterministic, no randomness:
 *
 * - 500 changed resources per node: 200 package upgrades and 100 config files the same on every
 *   node, 100 files that differ by role (8 roles), 50 files that differ per node (they name it),
 *   25 services to restart (refresh), 25 refreshonly execs by role.
 * - The parent shows 90% of them identically. Of every tenth slot, half are new in the commit and
 *   half the parent shows with an older target (same title, another change): the delta is 50 per
 *   node. The parent also shows 10 changes the commit resolves.
 * - File diffs are 4–8 lines, as `--show_diff` prints them after normalization.
 */

export const ROLES = 8;
export const RESOURCES = 500;

export const nodeName = (i: number, nodes: number): string => {
  const half = Math.ceil(nodes / 2);
  return i < half ? `web${String(i + 1).padStart(4, '0')}.dc1` : `web${String(i + 1).padStart(4, '0')}.dc2`;
};

const sha = (seed: string): string => {
  // Not a real digest: 64 hex characters that differ when the seed does, cheap to make.
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  const part = (h >>> 0).toString(16).padStart(8, '0');
  return `{sha256}${part.repeat(8)}`;
};

const diff = (path: string, lines: string[], old: string, now: string): string =>
  [
    `--- ${path}`,
    '+++ /tmp/puppet-fileXXXXXX',
    `@@ -1,${lines.length + 1} +1,${lines.length + 1} @@`,
    ...lines.map((line) => ` ${line}`),
    `-${old}`,
    `+${now}`,
  ].join('\n');

const file = (
  title: string,
  module: string,
  line: number,
  old: string,
  now: string,
  context: number,
): ResourceChange => ({
  type: 'File',
  title,
  file: `modules/${module}/manifests/init.pp`,
  line,
  events: [{ property: 'content', from: sha(`${title}${old}`), to: sha(`${title}${now}`) }],
  diff: diff(
    title,
    Array.from({ length: context }, (_, k) => `setting_${k} = value_${k}`),
    old,
    now,
  ),
  refresh: false,
  failed: false,
  skipped: false,
  logs: [],
});

/** Slot `s` on node `i`; `version` 2 is the commit, 1 the parent's older target. */
const resource = (s: number, i: number, node: string, version: number): ResourceChange => {
  const role = i % ROLES;
  if (s < 200) {
    return {
      type: 'Package',
      title: `pkg-${s}`,
      file: 'modules/base/manifests/packages.pp',
      line: 10 + s,
      events: [
        { property: 'ensure', from: `1.${s}.0-1ubuntu0.22.04.1`, to: `1.${s}.${version}-1ubuntu0.22.04.1` },
      ],
      refresh: false,
      failed: false,
      skipped: false,
      logs: [],
    };
  }
  if (s < 300) return file(`/etc/app/conf-${s}.conf`, 'app', s, 'limit = 10', `limit = ${10 * version}`, 4);
  if (s < 400)
    return file(`/etc/role/conf-${s}.conf`, 'role', s, 'role = none', `role = r${role}.v${version}`, 5);
  if (s < 450)
    return file(`/etc/node/conf-${s}.conf`, 'node', s, 'host = none', `host = ${node}.v${version}`, 6);
  if (s < 475) {
    return {
      type: 'Service',
      title: `svc-${s}`,
      file: 'modules/app/manifests/service.pp',
      line: s,
      events: version === 2 ? [] : [{ property: 'ensure', from: 'stopped', to: 'running' }],
      refresh: true,
      failed: false,
      skipped: false,
      logs: [],
    };
  }
  return {
    type: 'Exec',
    title: `reload-${s}-role${role}`,
    defineType: `Role::Reload[r${role}]`,
    file: 'modules/role/manifests/reload.pp',
    line: s,
    events: [],
    refresh: true,
    failed: false,
    skipped: false,
    logs: version === 2 ? [] : ['Warning: older'],
  };
};

const report = (node: string, resources: ResourceChange[]): NormalizedReport => ({
  node,
  outcome: 'changes',
  configurationVersion: '1795451481',
  resources: resources.sort((a, b) => (`${a.type}[${a.title}]` < `${b.type}[${b.title}]` ? -1 : 1)),
  evalErrors: [],
  messages: [],
});

export interface NodeInput {
  node: string;
  commit: string;
  parent: string;
}

/** Node `i`'s commit and parent noops as JSON text. */
export const nodeInput = (i: number, nodes: number): NodeInput => {
  const node = nodeName(i, nodes);
  const commit: ResourceChange[] = [];
  const parent: ResourceChange[] = [];
  for (let s = 0; s < RESOURCES; s++) {
    commit.push(resource(s, i, node, 2));
    if (s % 10 !== 0) parent.push(resource(s, i, node, 2));
    else if (s % 20 === 0) parent.push(resource(s, i, node, 1));
  }
  for (let k = 0; k < 10; k++) parent.push({ ...resource(k, i, node, 1), title: `retired-${k}` });
  return { node, commit: JSON.stringify(report(node, commit)), parent: JSON.stringify(report(node, parent)) };
};

/** Noise people agreed to ignore: one of the fleet-wide config files. */
export const IGNORED: IgnoreRule[] = [
  {
    type: 'File',
    titlePattern: '^/etc/app/conf-2[0-4]0\\.conf$',
    purpose: 'bench',
    rationale: 'exercises ignore rules',
  },
];
