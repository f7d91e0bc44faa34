import { showMessage } from '../chat/show-message.js';
import { ignoresHash as hashOfIgnores, NO_IGNORES, ruleOf } from '../delta/ignores.js';
import { type ChatIdMap, type Decision, decide, type IgnoreRule } from '../delta/index.js';
import { HecklerError } from '../errors.js';
import type { IgnoreService } from '../ignores/service.js';
import type { Chat, Clock, CodeRepo, Logger, Message, MessageRef, NodeSpec, Store } from '../ports/index.js';
import type { Offload } from '../ports/offload.js';
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
    /** Refuse approval of commits whose own build has not passed (the build gate, repo.build). */
    requireBuild?: boolean;
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
  /** Where a review's grouping runs (worker threads in the bot); absent: inline. */
  offload?: Offload;
  /** The link people follow to a review's current message (Slack permalinks); absent: none. */
  permalink?: (ref: MessageRef) => Promise<string | undefined>;
  /** The commit's chat message; views live with the commands, the engine only posts. */
  present(record: ReviewRecord): Message;
  /** How fast new commits are reviewed, and from what size a push gets one summary instead of a message per commit. */
  pushes: { reviewsPerPoll: number; summarizeOver: number };
  /** The summary message of a large push. */
  presentPush(push: PushRecord): Message;
  /**
   * Told of every review once stored and shown (owner pings, the home dashboard). Its failures are
   * logged, never the review's.
   */
  onReview?(record: ReviewRecord): Promise<void>;
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

/** The person decided on a delta the review no longer shows (`refuseOutdated` says so in words). */
const isOutdated = (record: ReviewRecord, request: DecisionRequest) =>
  request.shownHash !== undefined && !record.deltaHash.startsWith(request.shownHash.toLowerCase());

export const createReviewService = (deps: ReviewServiceDeps): ReviewService => {
  const writeAudit = (entry: AuditEntry) => appendAudit(deps.audit, entry);

  /**
   * Posts or edits the review's message. The message ref of a new post is written with `update`
   * so that a decision another replica stored meanwhile is kept.
   */
  const publish = async (record: ReviewRecord, quiet = false): Promise<ReviewRecord> => {
    if (quiet && !record.message) return record;
    const posted = record.message;
    await showMessage(deps.chat, record, deps.channel, deps.present(record), {
      logger: deps.logger,
      context: { sha: record.sha },
      what: 'the review message',
    });
    const message = record.message;
    const shown =
      message === posted || !message
        ? record
        : ((await deps.reviews.update(
            record.sha,
            (latest) => latest && { ...latest, message: latest.message ?? message },
          )) ?? record);
    await deps
      .onReview?.(shown)
      .catch((error: unknown) =>
        deps.logger.warn({ err: error, sha: record.sha }, 'could not tell of a review (pings, home)'),
      );
    return shown;
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
      // Decisions made while the noops ran are kept (written by any replica), and so is an
      // approval carried over above.
      const carried = record.decisions.filter((decision) => !previous?.decisions.includes(decision));
      const stored = await deps.reviews.update(sha, (latest) => ({
        ...record,
        decisions: latest ? [...latest.decisions, ...carried] : record.decisions,
        // The build gate writes the commit's build while noops run: the stored one is the newer.
        ...((latest?.build ?? record.build) ? { build: latest?.build ?? record.build } : {}),
        ...((record.message ?? latest?.message) ? { message: record.message ?? latest?.message } : {}),
      }));
      return publish(stored ?? record, options.quiet);
    },
    async decide(request) {
      const short = request.sha.slice(0, 7);
      const notFound = () =>
        new HecklerError('NOT_FOUND', `${short} has not been nooped yet`, {
          hint: `run \`/heckler noop ${short}\` first; decisions are bound to a noop`,
        });
      const at = deps.clock.now();
      // What the last run of the change saw and chose; it runs again when another replica wrote first.
      let seen = undefined as ReviewRecord | undefined;
      let outcome = undefined as ReturnType<typeof decide> | undefined;
      let incoming = undefined as Decision | undefined;
      const stored = await deps.reviews.update(request.sha, (record) => {
        seen = record;
        outcome = undefined;
        if (!record) return undefined;
        // Outdated is answered below, after the store, because its words need the message's link.
        if (isOutdated(record, request)) return undefined;
        refuseNotAllowed(record, request, deps.roles);
        refuseUnapprovable(record, request, deps.approvals);
        incoming = {
          verdict: request.verdict,
          user: request.user,
          at,
          commit: record.sha,
          deltaHash: record.deltaHash,
          via: request.via,
          ...(request.reason ? { reason: request.reason } : {}),
        };
        outcome = decide(record.decisions, incoming);
        return outcome.result === 'recorded'
          ? { ...record, decisions: [...record.decisions, incoming] }
          : undefined;
      });
      if (!seen || !stored) throw notFound();
      await refuseOutdated(seen, request, deps.permalink);
      if (outcome?.result === 'already_decided') {
        const d = outcome.decision;
        throw new HecklerError(
          'USAGE',
          `${stored.shortSha} was already ${d.verdict === 'approve' ? 'approved' : 'denied'} by ${mention(d.user)} at ${hhmm(d.at)}`,
          {
            hint:
              d.verdict === 'deny'
                ? `a typed \`/heckler approve ${stored.shortSha}\` overturns a denial`
                : 'the first decision stands',
          },
        );
      }
      if (outcome?.result !== 'recorded' || !incoming) return { record: stored, result: 'repeated' as const };
      await writeAudit({
        at: incoming.at,
        sha: stored.sha,
        shortSha: stored.shortSha,
        user: request.user,
        action: request.verdict,
        deltaHash: stored.deltaHash,
        via: request.via,
        ...(request.reason ? { reason: request.reason } : {}),
        ...auditOrigin(request.origin),
      });
      return { record: await publish(stored), result: 'recorded' as const };
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
