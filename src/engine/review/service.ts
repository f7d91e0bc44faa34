import {
  type ChatIdMap,
  type Decision,
  decide,
  deltaWithin,
  type IgnoreRule,
  mayApprove,
} from '../delta/index.js';
import { HecklerError } from '../errors.js';
import type { Chat, Clock, CodeRepo, Logger, Message, MessageRef, NodeSpec, Store } from '../ports/index.js';
import { validateRevision } from '../repo/revision.js';
import type { FleetService } from '../runs/fleet-service.js';
import { escapeText, link, mention, mentionAll } from '../text/mrkdwn.js';
import { type AuditOrigin, writeAudit as appendAudit, auditOrigin } from './audit.js';
import { computeDelta, type FleetState, readFleetState } from './compute.js';
import { type GitHubCommitIdentity, identitiesOf } from './identity.js';
import { unlessUnrelated } from './lineage.js';
import type { NoopCache } from './noop-cache.js';
import { ownershipOf, pluginCodeIn } from './ownership.js';
import {
  type AuditEntry,
  coveredNodes,
  decidersOf,
  excludedOf,
  ownerLists,
  REVIEW_SCHEMA,
  type ReviewRecord,
  reviewStatus,
  standing,
} from './records.js';

export interface ReviewServiceDeps {
  repo: CodeRepo;
  fleet: FleetService;
  cache: NoopCache;
  chat: Chat;
  /** Where commit messages are posted. */
  channel: string;
  reviews: Store<ReviewRecord>;
  /** The last commit of the tracked branch already reviewed. */
  cursor: Store<string>;
  audit: Store<AuditEntry>;
  clock: Clock;
  logger: Logger;
  approvals: {
    owners: ChatIdMap;
    people: Readonly<Record<string, string>>;
    ignore: readonly IgnoreRule[];
    /** Refuse approval of commits whose signature GitHub does not verify. */
    requireVerified?: boolean;
  };
  roles: { admins: readonly string[]; approvers: readonly string[] };
  modulePaths: readonly string[];
  /** What GitHub says of a commit; absent when the repository is not on GitHub or no token is set. */
  githubIdentity?: (sha: string) => Promise<GitHubCommitIdentity>;
  /**
   * The files defining each certname (`node` statements of `puppet.manifest`) at a commit, for
   * owners of changes no file or module owner claims; absent: none.
   */
  nodeDefinitions?: (sha: string) => Promise<(certname: string) => readonly string[]>;
  /** The link people follow to a review's current message (Slack permalinks); absent: none. */
  permalink?: (ref: MessageRef) => Promise<string | undefined>;
  /** The commit's chat message; views live with the commands, the engine only posts. */
  present(record: ReviewRecord): Message;
}

export interface DecisionRequest {
  sha: string;
  user: string;
  roles: ReadonlySet<string>;
  verdict: 'approve' | 'deny';
  reason?: string;
  via: 'button' | 'command';
  /** The delta hash (or a prefix of it) on the message the user saw: a decision binds to it. */
  shownHash?: string;
  /** Where the person acted from, for the audit log. */
  origin?: AuditOrigin;
}

export interface ReviewService {
  /** A revision → full SHA (validated first; UNKNOWN_REVISION with suggestions). */
  resolve(revision: string, options?: { fetch?: boolean }): Promise<string>;
  /** The commit's review against the fleet as it is now: reused when the fleet has not moved, re-nooped when it has. */
  review(sha: string, options?: { nodes?: readonly NodeSpec[]; state?: FleetState }): Promise<ReviewRecord>;
  get(sha: string): Promise<ReviewRecord | undefined>;
  decide(request: DecisionRequest): Promise<{ record: ReviewRecord; result: 'recorded' | 'repeated' }>;
  pending(): Promise<ReviewRecord[]>;
  /** Re-noops every review whose fleet state is stale; approvals survive only an identical delta. */
  refreshStale(): Promise<ReviewRecord[]>;
  auditLog(sha?: string): Promise<AuditEntry[]>;
  /**
   * Reviews the tracked branch's new commits, oldest first. The first poll only remembers where
   * the branch is (plus `backfill` recent commits), so a new bot does not noop all of history.
   */
  pollNewCommits(backfill: number): Promise<ReviewRecord[]>;
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

export const createReviewService = (deps: ReviewServiceDeps): ReviewService => {
  const queues = new Map<string, Promise<unknown>>();
  /** One change to a review at a time in this process (a click racing a re-noop). */
  const serialized = <T>(sha: string, work: () => Promise<T>): Promise<T> => {
    const next = (queues.get(sha) ?? Promise.resolve()).then(work, work);
    queues.set(
      sha,
      next.catch(() => undefined),
    );
    return next;
  };

  const writeAudit = (entry: AuditEntry) => appendAudit(deps.audit, entry);

  const publish = async (record: ReviewRecord): Promise<ReviewRecord> => {
    const message = deps.present(record);
    try {
      if (record.message) await deps.chat.update(record.message, message);
      else record.message = await deps.chat.post(deps.channel, message);
    } catch (error) {
      deps.logger.warn({ err: error, sha: record.sha }, 'could not post the review message');
    }
    await deps.reviews.set(record.sha, record);
    return record;
  };

  const compute = async (
    sha: string,
    previous: ReviewRecord | undefined,
    nodes: readonly NodeSpec[],
    state: FleetState,
  ) => {
    const { commit, fleetHash, grouped } = await computeDelta(
      { repo: deps.repo, fleet: deps.fleet, cache: deps.cache, ignored: deps.approvals.ignore },
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
      deltaHash: grouped.deltaHash,
      computedAt: now,
      grouped,
      ...owners,
      decisions: previous?.decisions ?? [],
      notes: previous?.notes ?? [],
      ...(previous?.message ? { message: previous.message } : {}),
    };
    const why = previous?.fleetHash === fleetHash ? 'where nodes had failed' : 'after the fleet changed';
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
    if (reviewStatus(record) === 'auto_approved' && !previous) {
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

  /**
   * A decision binds to what the person saw: the delta on their message, a delta that covers at
   * least one node, and (when required) a commit whose signature GitHub verified.
   */
  const refuseOutdated = async (record: ReviewRecord, request: DecisionRequest) => {
    const shown = request.shownHash?.toLowerCase();
    if (shown !== undefined && !record.deltaHash.startsWith(shown)) {
      const url = record.message ? await deps.permalink?.(record.message).catch(() => undefined) : undefined;
      throw new HecklerError(
        'OUTDATED',
        `${record.shortSha} was re-nooped after the message you ${request.via === 'button' ? 'clicked' : 'quoted'} was drawn: it showed delta ${shown.slice(0, 8)}, the current one is ${record.deltaHash.slice(0, 8)}`,
        {
          hint: `read the current message${url ? ` (${link(url, record.shortSha)})` : ''} and decide again; nothing was recorded`,
        },
      );
    }
  };

  const refuseUnapprovable = (record: ReviewRecord, request: DecisionRequest) => {
    if (request.verdict !== 'approve') return;
    if (coveredNodes(record).covered === 0) {
      throw new HecklerError(
        'USAGE',
        `no node produced a noop of ${record.shortSha}: there is nothing reviewed to approve`,
        {
          hint: `fix what the message says failed, then run \`/heckler noop ${record.shortSha}\` again`,
        },
      );
    }
    if (deps.approvals.requireVerified) {
      const github = record.github;
      const problem =
        github === undefined
          ? 'GitHub was not asked (configure repo.github and GITHUB_TOKEN)'
          : 'error' in github
            ? `GitHub could not be asked: ${escapeText(github.error)}`
            : github.verified
              ? undefined
              : `GitHub does not verify its signature (${escapeText(github.verificationReason ?? 'unsigned')})`;
      if (problem)
        throw new HecklerError('NOT_AUTHORIZED', `${record.shortSha} cannot be approved: ${problem}`, {
          hint: 'approvals.requireVerified is on: the commit must be signed with a key GitHub verifies; re-commit it signed',
        });
    }
  };

  const service: ReviewService = {
    get: (sha) => deps.reviews.get(sha),
    async resolve(revision, options = {}) {
      if (options.fetch) await deps.repo.fetch();
      return deps.repo.resolve(validateRevision(revision));
    },
    async review(sha, options = {}) {
      const nodes = options.nodes ?? deps.fleet.nodes();
      const previous = await deps.reviews.get(sha);
      const state = options.state ?? (await readFleetState(deps.fleet, nodes));
      if (previous) {
        // Nodes that failed or did not answer are tried again (Puppet installed since, a node back up);
        // the noops of the others come from the cache.
        const { failed, unreachable } = previous.grouped.counts;
        const current = previous.schema === REVIEW_SCHEMA;
        if (current && state.fleetHash === previous.fleetHash && failed + unreachable === 0) return previous;
      }
      const record = await compute(sha, previous, nodes, state);
      return serialized(sha, async () => {
        // Decisions made while the noops ran are kept.
        const latest = await deps.reviews.get(sha);
        // Decisions made while the noops ran are kept, and so is an approval carried over above.
        const carried = record.decisions.filter((decision) => !previous?.decisions.includes(decision));
        if (latest) record.decisions = [...latest.decisions, ...carried];
        return publish(record);
      });
    },
    decide(request) {
      return serialized(request.sha, async () => {
        const record = await deps.reviews.get(request.sha);
        if (!record) {
          throw new HecklerError('NOT_FOUND', `${request.sha.slice(0, 7)} has not been nooped yet`, {
            hint: `run \`/heckler noop ${request.sha.slice(0, 7)}\` first; decisions are bound to a noop`,
          });
        }
        await refuseOutdated(record, request);
        const verdict = mayApprove({
          user: request.user,
          roles: request.roles,
          groupOwners: ownerLists(record),
          excluded: excludedOf(record),
          admins: deps.roles.admins,
          approvers: deps.roles.approvers,
        });
        if (!verdict.ok) {
          const all = decidersOf(record, deps.roles);
          const who =
            mentionAll(
              [...all.owners, ...all.approvers, ...all.admins].filter((id) => id !== request.user),
            ) || 'nobody: add an approver or admin in heckler.yml';
          const why =
            verdict.reason === 'author'
              ? `you wrote ${record.shortSha} (as its author, a co-author or its committer): someone else must ${request.verdict} it`
              : all.owners.length === 0 && ownerLists(record).some((owners) => owners.includes(request.user))
                ? `you own only part of what ${record.shortSha} changes, and no single owner covers all of it`
                : `you do not own what ${record.shortSha} changes`;
          throw new HecklerError('NOT_AUTHORIZED', why, { hint: `who can ${request.verdict} it: ${who}` });
        }
        refuseUnapprovable(record, request);
        const incoming: Decision = {
          verdict: request.verdict,
          user: request.user,
          at: deps.clock.now(),
          commit: record.sha,
          deltaHash: record.deltaHash,
          via: request.via,
          ...(request.reason ? { reason: request.reason } : {}),
        };
        const outcome = decide(record.decisions, incoming);
        if (outcome.result === 'already_decided') {
          const d = outcome.decision;
          throw new HecklerError(
            'USAGE',
            `${record.shortSha} was already ${d.verdict === 'approve' ? 'approved' : 'denied'} by ${mention(d.user)} at ${hhmm(d.at)}`,
            {
              hint:
                d.verdict === 'deny'
                  ? `a typed \`/heckler approve ${record.shortSha}\` overturns a denial`
                  : 'the first decision stands',
            },
          );
        }
        if (outcome.result === 'repeated') return { record, result: 'repeated' as const };
        record.decisions.push(incoming);
        await writeAudit({
          at: incoming.at,
          sha: record.sha,
          shortSha: record.shortSha,
          user: request.user,
          action: request.verdict,
          deltaHash: record.deltaHash,
          via: request.via,
          ...(request.reason ? { reason: request.reason } : {}),
          ...auditOrigin(request.origin),
        });
        return { record: await publish(record), result: 'recorded' as const };
      });
    },
    async pending() {
      const out: ReviewRecord[] = [];
      for await (const [, record] of deps.reviews.entries())
        if (reviewStatus(record) === 'pending') out.push(record);
      return out.sort((a, b) => a.committedAt - b.committedAt);
    },
    async refreshStale() {
      const nodes = deps.fleet.nodes();
      const state = await readFleetState(deps.fleet, nodes);
      const { fleetHash, applied } = state;
      const revisions = [...applied.values()].map((a) => a.revision);
      /** Applied on every node already: nothing left to review. */
      const everywhere = async (sha: string) => {
        for (const revision of revisions) {
          if (
            revision === undefined ||
            !(revision === sha || (await unlessUnrelated(deps.repo.isAncestor(sha, revision))))
          )
            return false;
        }
        return revisions.length > 0;
      };
      const stale: ReviewRecord[] = [];
      for await (const [, record] of deps.reviews.entries()) {
        if (record.fleetHash === fleetHash || reviewStatus(record) === 'denied') continue;
        if (!(await everywhere(record.sha))) stale.push(record);
      }
      const refreshed: ReviewRecord[] = [];
      for (const record of stale.sort((a, b) => a.committedAt - b.committedAt))
        refreshed.push(await service.review(record.sha, { nodes, state }));
      return refreshed;
    },
    async pollNewCommits(backfill) {
      await deps.repo.fetch();
      const head = await deps.repo.head();
      const cursor = await deps.cursor.get('branch');
      const between = await deps.repo.commitsBetween(cursor, head);
      const commits = cursor !== undefined ? between : backfill > 0 ? between.slice(-backfill) : [];
      const reviewed: ReviewRecord[] = [];
      if (commits.length === 0) {
        await deps.cursor.set('branch', head);
        return reviewed;
      }
      const nodes = deps.fleet.nodes();
      const state = await readFleetState(deps.fleet, nodes);
      for (const commit of commits) {
        reviewed.push(await service.review(commit.sha, { nodes, state }));
        await deps.cursor.set('branch', commit.sha);
      }
      await deps.cursor.set('branch', head);
      return reviewed;
    },
    async auditLog(sha) {
      const out: AuditEntry[] = [];
      for await (const [, entry] of deps.audit.entries()) if (!sha || entry.sha === sha) out.push(entry);
      return out.sort((a, b) => b.at - a.at);
    },
  };
  return service;
};
