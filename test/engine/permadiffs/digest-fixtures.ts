import type { DigestInput } from '../../../src/engine/permadiffs/digest.js';
import type { PermadiffIgnore } from '../../../src/engine/permadiffs/ignored.js';
import type { PermadiffGroup } from '../../../src/engine/permadiffs/state.js';
import type { PartOwnership } from '../../../src/engine/review/records.js';

/** Hand-made permadiff state for digest tests: groups by name, streaks per node, owners by chat id. */
export const HOUR = 3_600_000;
export const NOW = Date.parse('2026-01-05T08:00:00Z');

export const owned = (...ids: string[]): PartOwnership[] =>
  ids.length === 0
    ? []
    : [{ of: 'modules/x/manifests/init.pp:3', owners: ids, unmapped: [], source: 'file' }];

export const group = (
  hash: string,
  name: string,
  nodes: Record<string, number>,
  options: { owners?: PartOwnership[]; diff?: string; resolvedAt?: number; file?: string } = {},
): PermadiffGroup => {
  const match = /^([^[]+)\[(.*)\]$/s.exec(name);
  const [type, title] = match ? [match[1] as string, match[2] as string] : ['Exec', name];
  return {
    hash,
    resource: {
      type,
      title,
      events: [{ property: 'returns', from: 'notrun', to: '0' }],
      refresh: false,
      failed: false,
      skipped: false,
      logs: [],
      ...(options.diff === undefined ? {} : { diff: options.diff }),
    },
    sources: [{ file: options.file ?? 'modules/x/manifests/init.pp', line: 3, nodes: Object.keys(nodes) }],
    nodes: Object.keys(nodes),
    streaks: {
      firstSeen: Object.keys(nodes).map(() => NOW - 10 * HOUR),
      lastSeen: Object.keys(nodes).map(() => NOW - HOUR),
      streak: Object.values(nodes),
    },
    firstSeen: NOW - 10 * HOUR,
    lastSeen: NOW - HOUR,
    ...(Object.values(nodes).some((streak) => streak >= 2) ? { since: NOW - 5 * HOUR } : {}),
    ...(options.resolvedAt === undefined ? {} : { resolvedAt: options.resolvedAt }),
    owners: options.owners ?? [],
  };
};

export const ignoreOf = (
  type: string,
  title: string,
  options: { nodes?: string[]; by?: string; reason?: string; id?: string } = {},
): PermadiffIgnore => ({
  rule: {
    type,
    title,
    purpose: options.reason ?? 'known, fixed next sprint',
    rationale: 'ignored from chat',
    id: options.id ?? 'abc123',
    ...(options.nodes ? { nodes: options.nodes } : {}),
  },
  by: options.by ?? 'U0BOB',
  expiresAt: NOW + 30 * 24 * HOUR,
});

export const input = (overrides: Partial<DigestInput>): DigestInput => ({
  now: NOW,
  minRuns: 2,
  groups: [],
  lastScan: {
    at: NOW - HOUR,
    startedAt: NOW - HOUR - 60_000,
    by: 'schedule',
    scanned: ['web1', 'web2', 'web3'],
    notScanned: [],
  },
  ignores: [],
  staleLocks: [],
  waiting: [],
  ...overrides,
});
