import type { ApplyRecord, NodeResult } from '../../../src/engine/apply/records.js';
import type { BuildRecord } from '../../../src/engine/builds/records.js';
import { groupDeltas, type NodeDelta } from '../../../src/engine/delta/index.js';
import { describeHolder } from '../../../src/engine/locks/node-locks.js';
import type { Clock, CommitInfo, NodeSpec } from '../../../src/engine/ports/index.js';
import type { NormalizedReport, ResourceChange } from '../../../src/engine/puppet/index.js';
import type { ReviewRecord } from '../../../src/engine/review/records.js';
import { escapeText } from '../../../src/engine/text/mrkdwn.js';

/**
 * What a commit subject, an author, a branch, a diff or a node could carry to make the bot ping
 * everyone, impersonate a user or disguise a link; plus text that already looks escaped.
 */
export const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<@U0ADMIN>',
  '<https://evil.test|GitHub PR #12 (approved)>',
  '&lt;!channel&gt;',
] as const;

/** Every string field of every record below carries all of it. */
export const H = `x ${HOSTILE.join(' ')} *bold*`;

/** The only chat users the records legitimately name (by id, in id fields). */
export const LEGIT = ['U0ALICE', 'U0BOB', 'U0CAROL'] as const;

export const clock: Clock = { now: () => Date.parse('2024-03-01T15:00:00Z') };
const NOW = clock.now();
const sha = (c: string) => c.repeat(40);

/** A lock a person took, with a hostile reason: how the engine words a holder (mrkdwn). */
const lock = {
  key: `node:${H}`,
  node: H,
  owner: 'U0BOB',
  reason: H,
  since: NOW - 60_000,
  expiresAt: NOW + 3_600_000,
};
export const heldLock = lock;
const holder = describeHolder(lock, clock);

export const resource = (title = H): ResourceChange => ({
  type: H,
  title,
  defineType: H,
  file: H,
  line: 3,
  events: [{ property: H, from: H, to: H }],
  diff: `--- ${H}\n+++ ${H}\n-${H}\n+${H}`,
  refresh: true,
  failed: true,
  skipped: false,
  logs: [H],
});

export const report: NormalizedReport = {
  node: H,
  outcome: 'failed',
  configurationVersion: H,
  resources: [resource()],
  evalErrors: [{ message: H, file: H, line: 2 }],
  messages: [H],
  problem: H,
};

export const commit: CommitInfo = {
  sha: sha('a'),
  shortSha: H,
  subject: H,
  body: H,
  author: { name: H, email: H },
  committer: { name: H, email: H },
  coAuthors: [{ name: H, email: H }],
  parents: [sha('b')],
  date: NOW,
};

export const nodeSpec: NodeSpec = {
  name: H,
  transport: 'ssh',
  host: H,
  port: 22,
  user: H,
  certname: `${H}.cert`,
  workDir: H,
};

/** Node errors in a record are mrkdwn the engine escaped (NodeResult); here as rollout writes them. */
const result = (status: NodeResult['status'], error?: string): NodeResult => ({
  node: `${H}-${status}`,
  status,
  outcome: status === 'failed' ? 'failed' : undefined,
  durationMs: 1000,
  ...(error === undefined ? {} : { error }),
});

export const applyRecord = (over: Partial<ApplyRecord> = {}): ApplyRecord => ({
  id: 7,
  revision: H,
  sha: sha('a'),
  shortSha: H,
  subject: H,
  names: [H],
  requestedBy: 'U0ALICE',
  selector: { nodes: [H] },
  force: true,
  fleetHash: H,
  nodes: [
    { node: H, from: { sha: sha('b'), names: [H] }, dirty: true, commits: [sha('c')] },
    { node: `${H}-2`, dirty: false, commits: [], rollsBack: [sha('d')] },
  ],
  skipped: [{ node: H, why: 'locked', detail: holder }],
  commits: [
    { sha: sha('c'), shortSha: H, subject: H, author: H, approvedBy: 'U0BOB' },
    { sha: sha('d'), shortSha: H, subject: H, author: H, approvedBy: H },
  ],
  blockers: [],
  warnings: [`${escapeText(H)} is ${holder}`],
  status: 'planned',
  plannedAt: NOW - 60_000,
  expiresAt: NOW + 600_000,
  stages: [],
  channel: H,
  ...over,
});

export const blockers: ApplyRecord['blockers'] = (['not_nooped', 'stale', 'pending', 'denied'] as const).map(
  (kind) => ({ sha: sha('e'), shortSha: H, subject: H, kind, owners: ['U0CAROL', H], by: H, reason: H }),
);

export const runningRecord = (over: Partial<ApplyRecord> = {}): ApplyRecord =>
  applyRecord({
    status: 'running',
    confirmedBy: 'U0BOB',
    confirmedAt: NOW - 30_000,
    startedAt: NOW - 30_000,
    cancelledBy: H,
    note: escapeText(H),
    stages: [
      {
        name: H,
        status: 'stopped',
        startedAt: NOW - 30_000,
        finishedAt: NOW,
        nodes: [
          result('ok'),
          result('failed', escapeText(H)),
          result('skipped', escapeText(H)),
          result('not_run', escapeText(H)),
          result('interrupted'),
          result('running'),
        ],
      },
    ],
    ...over,
  });

const stageRow = (status: BuildRecord['stages'][number]['status'], n: number) => ({
  name: H,
  key: `${H}#${n}`,
  status,
  exitCode: null,
  startedAt: NOW - 5000,
  durationMs: 5000,
  reason: H,
});

export const buildRecord = (over: Partial<BuildRecord> = {}): BuildRecord => ({
  id: 9,
  repo: H,
  branch: H,
  sha: H,
  pipeline: H,
  definition: {
    name: H,
    image: H,
    env: { [H]: H },
    branches: [H],
    workdir: H,
    stages: [{ name: H, script: [H], env: {} }],
    notify: { slack: { channel: H, on: ['FAIL'] } },
  },
  commit: { message: `${H}\n${H}`, changedFiles: [H] },
  trigger: { kind: 'push', by: H },
  status: 'failed',
  queuedAt: NOW - 10_000,
  startedAt: NOW - 9000,
  finishedAt: NOW,
  waitMs: 1000,
  stages: [stageRow('failed', 1), stageRow('skipped', 2), stageRow('timed_out', 3), stageRow('not_run', 4)],
  error: H,
  killedBy: H,
  ...over,
});

/** A review whose every part (changes, evaluation errors, parents, failures, ignored) is hostile. */
export const reviewRecord = (decided?: 'approve' | 'deny'): ReviewRecord => {
  const deltas: NodeDelta[] = [
    {
      node: `${H}-a`,
      kind: 'changes',
      resources: [resource(), resource(`${H}-ignored`)],
      evalErrors: [],
      parentErrors: [{ revision: H, applied: false, kind: 'failed', message: H, evalErrors: [] }],
    },
    {
      node: `${H}-b`,
      kind: 'eval_error',
      resources: [],
      evalErrors: [{ message: H, file: H, line: 1 }],
      parentErrors: [],
    },
    { node: `${H}-c`, kind: 'failed', resources: [], evalErrors: [], parentErrors: [], error: H },
    { node: `${H}-d`, kind: 'not_in_lineage', resources: [], evalErrors: [], parentErrors: [] },
  ];
  const grouped = groupDeltas(deltas, {
    ignored: [{ type: H, title: `${H}-ignored`, purpose: H, rationale: H }],
  });
  return {
    sha: sha('a'),
    shortSha: H,
    subject: H,
    committedAt: NOW,
    authors: ['U0ALICE'],
    unmappedAuthors: [H],
    committer: { person: H },
    pluginCode: [H],
    fleetHash: H,
    deltaHash: grouped.deltaHash,
    computedAt: NOW,
    grouped,
    groupOwners: [{ owners: ['U0BOB', H], unmapped: [H], source: 'module' }],
    evalOwners: [{ owners: ['U0CAROL'], unmapped: [H], source: 'file' }],
    decisions: decided
      ? [
          {
            verdict: decided,
            user: 'U0BOB',
            at: NOW,
            commit: sha('a'),
            deltaHash: grouped.deltaHash,
            reason: H,
            via: 'command',
          },
        ]
      : [],
    notes: [escapeText(H)],
  };
};
