import type { Selector } from '../fleet/inventory.js';
import type { BuildBlock } from '../gate/rules.js';
import type { MessageRef } from '../ports/chat.js';
import type { Store } from '../ports/store.js';
import type { RunOutcome } from '../puppet/outcome.js';

/**
 * planned → confirmed → running → passed | failed | cancelled | interrupted; a plan never
 * confirmed ends `expired` (or `cancelled` when dropped). `interrupted`: the bot stopped under it.
 */
export type ApplyStatus =
  | 'planned'
  | 'confirmed'
  | 'running'
  | 'passed'
  | 'failed'
  | 'cancelled'
  | 'interrupted'
  | 'expired';

export const isOver = (status: ApplyStatus): boolean => !['planned', 'confirmed', 'running'].includes(status);

/** A revision as people know it: short SHA and the tags and branches pointing at it. */
export interface RevisionLabel {
  sha: string;
  names: string[];
}

/** One node the plan applies to. */
export interface PlannedNode {
  node: string;
  /** What it had applied when planned; undefined: never applied by Heckler. */
  from?: RevisionLabel;
  dirty: boolean;
  /** Commits the apply brings to it, oldest first (full SHAs). */
  commits: string[];
  /** A forced rollback: commits it takes away, oldest first. */
  rollsBack?: string[];
}

export type SkipReason = 'at_revision' | 'beyond' | 'unreadable' | 'locked' | 'lock_lost';

export interface SkippedNode {
  node: string;
  why: SkipReason;
  /**
   * In words: "already at v2.1", "locked by <@U1> (kernel upgrade)". Chat text (escaped mrkdwn,
   * src/engine/text/mrkdwn.ts): it holds mentions, so whoever builds it escapes what it quotes.
   */
  detail: string;
}

export interface PlannedCommit {
  sha: string;
  shortSha: string;
  subject: string;
  author: string;
  /** Approved or auto-approved for the fleet as it was when planned; blockers say what the others lack. */
  approvedBy?: string;
}

export type BlockerKind = 'not_nooped' | 'stale' | 'pending' | 'denied' | 'not_reviewed' | 'build';

/** A node the commit's review does not cover, and why (its noop failed, timed out, did not answer). */
export interface UnreviewedNode {
  node: string;
  why: string;
}

/** A commit the apply brings that is not approved for the fleet as it is. */
export interface Blocker {
  sha: string;
  shortSha: string;
  subject: string;
  kind: BlockerKind;
  /** Who may approve it (chat ids), for `pending`. */
  owners: string[];
  /** Who denied it, and why (`denied`). */
  by?: string;
  reason?: string;
  /** `not_reviewed`: the planned nodes the commit's approval does not cover. */
  nodes?: UnreviewedNode[];
  /** `build` (apply.requireBuild): why its own build does not let it through. */
  build?: BuildBlock;
}

/** `interrupted`: it was running when the bot stopped; it may be part-way. */
export type NodeStatus = 'pending' | 'running' | 'ok' | 'failed' | 'skipped' | 'not_run' | 'interrupted';

export interface NodeResult {
  node: string;
  status: NodeStatus;
  outcome?: RunOutcome | 'unreachable';
  startedAt?: number;
  durationMs?: number;
  /** Resources Puppet changed. */
  changes?: number;
  /** Why it failed or was not run, in words: mrkdwn like `SkippedNode.detail` (a cancel mentions who). */
  error?: string;
}

export interface StageRecord {
  /** The set it came from (`canaries`, `all`…). */
  name: string;
  status: 'pending' | 'running' | 'done' | 'stopped' | 'not_run';
  nodes: NodeResult[];
  startedAt?: number;
  finishedAt?: number;
}

export interface ApplyRecord {
  id: number;
  /** As typed (`v2.1`), and what it resolved to. */
  revision: string;
  sha: string;
  shortSha: string;
  subject: string;
  /** Tags and branches at `sha` when planned. */
  names: string[];
  requestedBy: string;
  selector: Selector;
  force: boolean;
  /** The fleet state hash the plan was made on (as reviews compute it). */
  fleetHash: string;
  nodes: PlannedNode[];
  skipped: SkippedNode[];
  commits: PlannedCommit[];
  blockers: Blocker[];
  /** Blockers an admin's `--force` set aside (nodes not reviewed): shown on the plan and audited. */
  overridden?: Blocker[];
  /** Worth knowing before confirming: nodes locked right now, a forced rollback (mrkdwn). */
  warnings: string[];
  status: ApplyStatus;
  plannedAt: number;
  expiresAt: number;
  confirmedBy?: string;
  confirmedAt?: number;
  /** The replica (ApplyServiceDeps.replica) that claimed the Confirm and runs the apply. */
  runner?: string;
  startedAt?: number;
  finishedAt?: number;
  stages: StageRecord[];
  /** Who cancelled it (a user id, or `shutdown`), and when. */
  cancelledBy?: string;
  cancelledAt?: number;
  /**
   * Why it ended the way it did, when that needs saying (threshold, interruption, lost locks):
   * mrkdwn like `SkippedNode.detail` (a cancel mentions who).
   */
  note?: string;
  /** The plan, later the status message; replies go in its thread. */
  message?: MessageRef;
  /** Where it is posted. */
  channel: string;
}

export type NewApply = Omit<ApplyRecord, 'id'>;

export interface ApplyRecords {
  create(apply: NewApply): Promise<ApplyRecord>;
  get(id: number): Promise<ApplyRecord | undefined>;
  save(record: ApplyRecord): Promise<void>;
  /**
   * A state change that can race another replica (a confirm, a cancel, an expiry): `change` gets
   * the record as stored now and returns the new one, or undefined to leave it (see `Store.update`).
   */
  update(
    id: number,
    change: (current: ApplyRecord) => ApplyRecord | undefined,
  ): Promise<ApplyRecord | undefined>;
  /** Newest first. */
  list(filter?: { status?: readonly ApplyStatus[] }): Promise<ApplyRecord[]>;
}

/**
 * Ids come from the store's atomic increment of `counter`'s `next` (the last id handed out), so
 * replicas sharing Redis never hand out one twice.
 */
export const createApplyRecords = (options: {
  records: Store<ApplyRecord>;
  counter: Store<number>;
}): ApplyRecords => {
  const { records, counter } = options;
  const nextId = () => counter.increment('next');
  return {
    async create(apply) {
      const record: ApplyRecord = { id: await nextId(), ...apply };
      await records.set(String(record.id), record);
      return record;
    },
    get: (id) => records.get(String(id)),
    save: (record) => records.set(String(record.id), record),
    update: (id, change) => records.update(String(id), (current) => current && change(current)),
    async list({ status } = {}) {
      const found: ApplyRecord[] = [];
      for await (const [, record] of records.entries())
        if (status === undefined || status.includes(record.status)) found.push(record);
      return found.sort((a, b) => b.id - a.id);
    },
  };
};
