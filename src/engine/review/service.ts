import { showMessage } from '../chat/show-message.js';
import { ignoresHash as hashOfIgnores, NO_IGNORES, ruleOf } from '../delta/ignores.js';
import { type ChatIdMap, type Decision, decide, type IgnoreRule } from '../delta/index.js';
import { HecklerError } from '../errors.js';
import type { IgnoreService } from '../ignores/service.js';
import type { Chat, Clock, CodeRepo, Logger, Message, MessageRef, NodeSpec, Store } from '../ports/index.js';
import { validateRevision } from '../repo/revision.js';
import type { FleetService } from '../runs/fleet-service.js';
import { mention } from '../text/mrkdwn.js';
import { type AuditOrigin, writeAudit as appendAudit, auditOrigin } from './audit.js';
import { buildRecord } from './build-record.js';
import { type FleetState, readFleetState } from './compute.js';
import { refuseNotAllowed, refuseOutdated, refuseUnapprovable } from './decision-checks.js';
import type { GitHubCommitIdentity } from './identity.js';
import { unlessUnrelated } from './lineage.js';
import type { NoopCache } from './noop-cache.js';
import { type PushRecord, pollBranch } from './push-queue.js';
import { type AuditEntry, REVIEW_SCHEMA, type ReviewRecord, reviewStatus } from './records.js';

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
  /** Ignores made from chat (`/heckler ignore`); absent: only `approvals.ignore` applies. */
  ignores?: IgnoreService;
  /** The link people follow to a review's current message (Slack permalinks); absent: none. */
  permalink?: (ref: MessageRef) => Promise<string | undefined>;
  /** The commit's chat message; views live with the commands, the engine only posts. */
  present(record: ReviewRecord): Message;
  /** How fast new commits are reviewed, and from what size a push gets one summary instead of a message per commit. */
  pushes: { reviewsPerPoll: number; summarizeOver: number };
  /** The summary message of a large push. */
  presentPush(push: PushRecord): Message;
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
  /** The ignores its reviews apply (made from chat), when configured. */
  readonly ignores?: IgnoreService;
  /** A revision → full SHA (validated first; UNKNOWN_REVISION with suggestions). */
  resolve(revision: string, options?: { fetch?: boolean }): Promise<string>;
  /** The commit's review against the fleet as it is now: reused when the fleet has not moved, re-nooped when it has. */
  review(
    sha: string,
    options?: {
      nodes?: readonly NodeSpec[];
      state?: FleetState;
      /** Store it without posting its message (a commit of a large push); a message already posted is updated. */
      quiet?: boolean;
    },
  ): Promise<ReviewRecord>;
  get(sha: string): Promise<ReviewRecord | undefined>;
  decide(request: DecisionRequest): Promise<{ record: ReviewRecord; result: 'recorded' | 'repeated' }>;
  pending(): Promise<ReviewRecord[]>;
  /** Re-noops every review whose fleet state or active ignores are stale; approvals survive a delta that only shrank. */
  refreshStale(): Promise<ReviewRecord[]>;
  auditLog(sha?: string): Promise<AuditEntry[]>;
  /** The commits `to` brings over `from` (git's `from..to`), oldest first: the commits of a range approval. */
  commitsIn(from: string, to: string): Promise<string[]>;
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

  const publish = async (record: ReviewRecord, quiet = false): Promise<ReviewRecord> => {
    if (quiet && !record.message) {
      await deps.reviews.set(record.sha, record);
      return record;
    }
    await showMessage(deps.chat, record, deps.channel, deps.present(record), {
      logger: deps.logger,
      context: { sha: record.sha },
      what: 'the review message',
    });
    await deps.reviews.set(record.sha, record);
    return record;
  };

  const service: ReviewService = {
    ...(deps.ignores ? { ignores: deps.ignores } : {}),
    get: (sha) => deps.reviews.get(sha),
    async resolve(revision, options = {}) {
      if (options.fetch) await deps.repo.fetch();
      return deps.repo.resolve(validateRevision(revision));
    },
    async review(sha, options = {}) {
      const nodes = options.nodes ?? deps.fleet.nodes();
      const previous = await deps.reviews.get(sha);
      const state = options.state ?? (await readFleetState(deps.fleet, nodes));
      const active = (await deps.ignores?.active()) ?? [];
      const ignoresHash = hashOfIgnores(active);
      if (previous) {
        // Nodes that failed or did not answer are tried again (Puppet installed since, a node back up);
        // the noops of the others come from the cache.
        const { failed, unreachable } = previous.grouped.counts;
        const current = previous.schema === REVIEW_SCHEMA;
        // An ignore made, removed or expired changes what the review shows: it is regrouped.
        const sameIgnores = (previous.ignoresHash ?? NO_IGNORES) === ignoresHash;
        if (current && sameIgnores && state.fleetHash === previous.fleetHash && failed + unreachable === 0)
          return previous;
      }
      const ignored = [...deps.approvals.ignore, ...active.map(ruleOf)];
      const record = await buildRecord(deps, {
        sha,
        previous,
        nodes,
        state,
        writeAudit,
        ignored,
        ignoresHash,
      });
      return serialized(sha, async () => {
        // Decisions made while the noops ran are kept.
        const latest = await deps.reviews.get(sha);
        // Decisions made while the noops ran are kept, and so is an approval carried over above.
        const carried = record.decisions.filter((decision) => !previous?.decisions.includes(decision));
        if (latest) record.decisions = [...latest.decisions, ...carried];
        return publish(record, options.quiet);
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
        await refuseOutdated(record, request, deps.permalink);
        refuseNotAllowed(record, request, deps.roles);
        refuseUnapprovable(record, request, deps.approvals);
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
      const ignoresHash = hashOfIgnores((await deps.ignores?.active()) ?? []);
      const stale: ReviewRecord[] = [];
      for await (const [, record] of deps.reviews.entries()) {
        const sameIgnores = (record.ignoresHash ?? NO_IGNORES) === ignoresHash;
        if ((record.fleetHash === fleetHash && sameIgnores) || reviewStatus(record) === 'denied') continue;
        if (!(await everywhere(record.sha))) stale.push(record);
      }
      const refreshed: ReviewRecord[] = [];
      for (const record of stale.sort((a, b) => a.committedAt - b.committedAt))
        refreshed.push(await service.review(record.sha, { nodes, state }));
      return refreshed;
    },
    pollNewCommits: (backfill) =>
      pollBranch(
        {
          ...deps,
          limits: deps.pushes,
          review: (sha, options) => service.review(sha, options),
        },
        backfill,
      ),
    commitsIn: async (from, to) => (await deps.repo.commitsBetween(from, to)).map((commit) => commit.sha),
    async auditLog(sha) {
      const out: AuditEntry[] = [];
      for await (const [, entry] of deps.audit.entries()) if (!sha || entry.sha === sha) out.push(entry);
      return out.sort((a, b) => b.at - a.at);
    },
  };
  return service;
};
