import { NO_IGNORES } from '../delta/ignores.js';
import { deltaWithin, type IgnoreRule } from '../delta/index.js';
import type { NodeSpec } from '../ports/index.js';
import { mention } from '../text/mrkdwn.js';
import { computeDelta, type FleetState } from './compute.js';
import { identitiesOf } from './identity.js';
import { ownershipOf, pluginCodeIn } from './ownership.js';
import { type AuditEntry, REVIEW_SCHEMA, type ReviewRecord, reviewStatus, standing } from './records.js';
import type { ReviewServiceDeps } from './service.js';

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/**
 * A commit's review against the fleet as it is now: its delta, who wrote it, who owns each part,
 * and what became of the decisions of the previous review of it (kept for the same delta, carried
 * over for a delta that only shrank, voided and audited otherwise).
 */
export const buildRecord = async (
  deps: Omit<ReviewServiceDeps, 'chat' | 'channel' | 'cursor' | 'present' | 'permalink'>,
  input: {
    sha: string;
    previous: ReviewRecord | undefined;
    nodes: readonly NodeSpec[];
    state: FleetState;
    /** Config rules, then the active stored ignores; and the hash of those stored ignores. */
    ignored: readonly IgnoreRule[];
    ignoresHash: string;
    writeAudit(entry: AuditEntry): Promise<void>;
  },
): Promise<ReviewRecord> => {
  const { sha, previous, nodes, state, writeAudit, ignoresHash } = input;

  const { commit, fleetHash, grouped } = await computeDelta(
    {
      repo: deps.repo,
      fleet: deps.fleet,
      cache: deps.cache,
      ignored: input.ignored,
      ...(deps.offload ? { offload: deps.offload } : {}),
    },
    sha,
    nodes,
    state,
  );
  const changed = await deps.repo.changedFiles(sha);
  const base = commit.parents[0];
  const definingFiles =
    deps.nodeDefinitions && base !== undefined ? await deps.nodeDefinitions(base) : () => [];
  const owners = await ownershipOf(deps.repo, commit, grouped, {
    chatIds: deps.approvals.owners,
    modulePaths: deps.modulePaths,
    certnames: new Map(nodes.map((node) => [node.name, node.certname])),
    definingFiles,
    changed,
  });
  const identities = await identitiesOf(commit, {
    people: deps.approvals.people,
    owners: deps.approvals.owners,
    ...(deps.githubIdentity ? { github: deps.githubIdentity } : {}),
    logger: deps.logger,
  });
  const now = deps.clock.now();
  const record: ReviewRecord = {
    schema: REVIEW_SCHEMA,
    sha,
    shortSha: commit.shortSha,
    subject: commit.subject,
    committedAt: commit.date,
    ...identities,
    pluginCode: pluginCodeIn(changed),
    fleetHash,
    ...(ignoresHash === NO_IGNORES ? {} : { ignoresHash }),
    deltaHash: grouped.deltaHash,
    computedAt: now,
    grouped,
    ...owners,
    decisions: previous?.decisions ?? [],
    notes: previous?.notes ?? [],
    // A re-noop does not rebuild: the commit's tree, hence its build, is the same.
    ...(previous?.build ? { build: previous.build } : {}),
    ...(previous?.message ? { message: previous.message } : {}),
  };
  const why =
    previous?.fleetHash !== fleetHash
      ? 'after the fleet changed'
      : (previous.ignoresHash ?? NO_IGNORES) !== ignoresHash
        ? 'after the ignores changed'
        : 'where nodes had failed';
  if (previous && previous.deltaHash !== record.deltaHash) {
    const lost = standing(previous);
    if (lost?.verdict === 'approve' && deltaWithin(record.grouped, previous.grouped)) {
      // Nothing new to see: the commit reached some nodes (a canary stage) or some dropped out.
      record.decisions = [...record.decisions, { ...lost, deltaHash: record.deltaHash }];
      record.notes.push(
        `${hhmm(now)} re-nooped ${why}: the delta shrank to part of what was approved; the approval by ${mention(lost.user)} still covers it`,
      );
    } else {
      record.notes.push(
        `${hhmm(now)} re-nooped ${why}: the delta is different${lost ? `; the ${lost.verdict === 'approve' ? 'approval' : 'denial'} by ${mention(lost.user)} no longer applies` : ''}`,
      );
      if (lost)
        await writeAudit({
          at: now,
          sha,
          shortSha: record.shortSha,
          user: lost.user,
          action: 'void',
          deltaHash: previous.deltaHash,
          via: 'heckler',
        });
    }
  } else if (previous && previous.fleetHash !== fleetHash) {
    record.notes.push(
      `${hhmm(now)} re-nooped after the fleet changed: same delta${standing(previous) ? ', the decision stands' : ''}`,
    );
  }
  // Also when an ignore left nothing to approve in a review that waited for a person.
  if (reviewStatus(record) === 'auto_approved' && (!previous || reviewStatus(previous) !== 'auto_approved')) {
    await writeAudit({
      at: now,
      sha,
      shortSha: record.shortSha,
      user: 'heckler',
      action: 'auto_approve',
      deltaHash: record.deltaHash,
      via: 'heckler',
    });
  }
  return record;
};
