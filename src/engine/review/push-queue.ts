import { showMessage } from '../chat/show-message.js';
import type { Chat, Clock, CodeRepo, Logger, Message, MessageRef, NodeSpec, Store } from '../ports/index.js';
import type { FleetService } from '../runs/fleet-service.js';
import { type FleetState, readFleetState } from './compute.js';
import { type ReviewRecord, reviewStatus } from './records.js';

/** A push too large to review commit by commit in one poll: summarised in one message. */
export interface PushRecord {
  /** The last commit reviewed before the push (exclusive), and the branch tip it brought (inclusive). */
  from: string;
  head: string;
  total: number;
  reviewed: number;
  /** Of those reviewed: approved automatically, waiting for a person. */
  autoApproved: number;
  waiting: number;
  startedAt: number;
  message?: MessageRef;
}

export interface PushQueueDeps {
  repo: CodeRepo;
  fleet: FleetService;
  /** `branch`: the last commit reviewed; `push`: the push in progress (JSON). */
  cursor: Store<string>;
  chat: Chat;
  channel: string;
  clock: Clock;
  logger: Logger;
  limits: { reviewsPerPoll: number; summarizeOver: number };
  presentPush(push: PushRecord): Message;
  review(
    sha: string,
    options: { nodes: readonly NodeSpec[]; state: FleetState; quiet: boolean },
  ): Promise<ReviewRecord>;
}

/**
 * Reviews the tracked branch's new commits, oldest first, at most `reviewsPerPoll` per poll, so a
 * push of 10,000 commits neither starts 10,000 fleet noops at once nor posts 10,000 messages. A
 * push of more than `summarizeOver` commits is reviewed quietly: one summary message, updated as
 * the queue drains, says how far it got; each commit's own message appears when someone asks for
 * it (`noop SHA`) or decides on it. The first poll only remembers where the branch is (plus
 * `backfill` recent commits), so a new bot does not noop all of history.
 */
export const pollBranch = async (deps: PushQueueDeps, backfill: number): Promise<ReviewRecord[]> => {
  await deps.repo.fetch();
  const head = await deps.repo.head();
  const cursor = await deps.cursor.get('branch');
  const between = await deps.repo.commitsBetween(cursor, head);
  const commits = cursor !== undefined ? between : backfill > 0 ? between.slice(-backfill) : [];
  if (commits.length === 0) {
    await deps.cursor.set('branch', head);
    return [];
  }
  const stored = await deps.cursor.get('push');
  let push: PushRecord | undefined = stored ? (JSON.parse(stored) as PushRecord) : undefined;
  if (push === undefined && commits.length > deps.limits.summarizeOver) {
    push = {
      from: cursor ?? '',
      head,
      total: commits.length,
      reviewed: 0,
      autoApproved: 0,
      waiting: 0,
      startedAt: deps.clock.now(),
    };
  } else if (push !== undefined && push.head !== head) {
    // More pushed while the queue drained: one summary for all of it.
    push = { ...push, head, total: push.reviewed + commits.length };
  }
  const batch = commits.slice(0, deps.limits.reviewsPerPoll);
  const nodes = deps.fleet.nodes();
  const state = await readFleetState(deps.fleet, nodes);
  const reviewed: ReviewRecord[] = [];
  for (const commit of batch) {
    const record = await deps.review(commit.sha, { nodes, state, quiet: push !== undefined });
    reviewed.push(record);
    await deps.cursor.set('branch', commit.sha);
    if (push) {
      push.reviewed++;
      if (reviewStatus(record) === 'pending') push.waiting++;
      else if (reviewStatus(record) === 'auto_approved') push.autoApproved++;
    }
  }
  const drained = batch.length === commits.length;
  if (drained) await deps.cursor.set('branch', head);
  if (push) await showPush(deps, push, drained);
  return reviewed;
};

const showPush = async (deps: PushQueueDeps, push: PushRecord, drained: boolean) => {
  await showMessage(deps.chat, push, deps.channel, deps.presentPush(push), {
    logger: deps.logger,
    context: { head: push.head },
    what: 'the push summary',
  });
  if (drained) await deps.cursor.delete('push');
  else await deps.cursor.set('push', JSON.stringify(push));
};
