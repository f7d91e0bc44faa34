import { createThrottledMessage, type ThrottledMessage } from '../chat/throttled-message.js';
import type { Chat, MessageRef } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Message } from '../ports/message.js';
import type { Store } from '../ports/store.js';
import type { BuildLogs } from './log.js';
import { type BuildRecord, isFinished, type StageRecord } from './records.js';
import type { BuildProgress } from './runner.js';

/** How builds look in chat; the command layer's views implement it, so the engine builds no text. */
export interface BuildViews {
  /** The one message of a build, as it stands now. */
  build(build: BuildRecord): Message;
  /** A thread reply for a stage that ended or was skipped; `tail`: last log lines of a failure. */
  stage(build: BuildRecord, stage: StageRecord, tail?: string): Message;
  /** Posted to notify's channel when the build ended in an event it asks for (mentions who triggered it). */
  notice(build: BuildRecord, failed?: { stage: StageRecord; tail?: string }): Message;
  /** A pushed commit whose ocelot.yml is invalid: nothing was built. */
  invalidPush(repo: string, at: string, errors: readonly string[]): Message;
}

export interface ChatProgressOptions {
  chat: Chat;
  views: BuildViews;
  logs: BuildLogs;
  /** The message of each build by id, so a restarted bot updates the same message. */
  messages: Store<MessageRef>;
  /** builds.channel; a pipeline's notify.slack.channel wins. */
  channel: string;
  clock: Clock;
  logger: Logger;
  /** Slack rate-limits edits: one update of a message per this long at most (default 1 s). */
  minUpdateMs?: number;
  /** Lines of a failed stage's log shown in chat (default 20). */
  tailLines?: number;
  /** Waits before a held-back update; tests pass a fake. */
  wait?: (ms: number) => Promise<void>;
}

export interface ChatProgress extends Required<BuildProgress> {
  /** A build just queued: post its message now (the runner reports from `running` on). */
  track(build: BuildRecord): void;
  /** Resolves when every post, update and reply asked for so far has been sent. */
  settled(): Promise<void>;
  /** The build's message once it is posted (undefined when it could not be). */
  messageOf(id: number): Promise<MessageRef | undefined>;
}

interface Entry {
  latest: BuildRecord;
  message: ThrottledMessage;
  noticed: boolean;
}

const rank = (build: BuildRecord) => (build.status === 'queued' ? 0 : isFinished(build.status) ? 2 : 1);

/** Builds finished in this process, so a late event cannot reopen (and re-post) one. */
const FINISHED_KEPT = 1000;

/**
 * One message per build, posted when it is queued and edited as it moves, at most once per
 * `minUpdateMs` (changes in between are coalesced into the next edit, and the last state is
 * always sent); each stage's result is a reply in the message's thread.
 */
export const createChatProgress = (options: ChatProgressOptions): ChatProgress => {
  const { chat, views, clock, logger } = options;
  const tailLines = options.tailLines ?? 20;
  const entries = new Map<number, Entry>();
  const finished: number[] = [];
  let inflight = 0;
  let idleWaiters: Array<() => void> = [];

  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight += 1;
    return work.finally(() => {
      inflight -= 1;
      if (inflight > 0) return;
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    });
  };

  const channelOf = (build: BuildRecord) => build.definition.notify.slack?.channel ?? options.channel;

  const createEntry = (build: BuildRecord): Entry => {
    const key = String(build.id);
    const entry: Entry = { latest: structuredClone(build), noticed: false } as Entry;
    entry.message = createThrottledMessage({
      chat,
      clock,
      render: () => views.build(entry.latest),
      find: () => options.messages.get(key),
      post: async (message) => {
        const ref = await chat.post(channelOf(entry.latest), message);
        await options.messages.set(key, ref);
        return ref;
      },
      ...(options.minUpdateMs === undefined ? {} : { minUpdateMs: options.minUpdateMs }),
      ...(options.wait === undefined ? {} : { wait: options.wait }),
      onError: (error) =>
        logger.warn({ err: error, build: entry.latest.id }, 'could not show build progress in chat'),
      onSent: ({ idle }) => {
        if (!isFinished(entry.latest.status) || !idle) return;
        entries.delete(entry.latest.id);
        finished.push(entry.latest.id);
        if (finished.length > FINISHED_KEPT) finished.shift();
      },
      track,
    });
    return entry;
  };

  /** The build's entry, with `build` as its latest state unless that is older than what it has. */
  const entryOf = (build: BuildRecord): { entry: Entry; newer: boolean } | undefined => {
    if (finished.includes(build.id)) return undefined;
    const entry = entries.get(build.id);
    if (!entry) {
      const created = createEntry(build);
      entries.set(build.id, created);
      return { entry: created, newer: true };
    }
    if (rank(build) < rank(entry.latest)) return { entry, newer: false };
    entry.latest = structuredClone(build);
    return { entry, newer: true };
  };

  /** Edits the message for a newer state (throttled); otherwise only makes sure it is posted. */
  const show = ({ entry, newer }: { entry: Entry; newer: boolean }) =>
    newer ? entry.message.changed() : entry.message.refresh();

  const tailOf = async (build: BuildRecord, stage: StageRecord): Promise<string | undefined> => {
    const text = await options.logs.read(build.id, stage.key);
    if (text === undefined || text.trim() === '') return undefined;
    return text.replace(/\n$/, '').split('\n').slice(-tailLines).join('\n');
  };

  const failedStage = (build: BuildRecord) =>
    build.stages.find((stage) => stage.status === 'failed' || stage.status === 'timed_out');

  const maybeNotice = (entry: Entry) => {
    const build = entry.latest;
    const slack = build.definition.notify.slack;
    const event =
      build.status === 'passed'
        ? 'PASS'
        : ['failed', 'timed_out', 'error'].includes(build.status)
          ? 'FAIL'
          : undefined;
    if (!slack || !event || !slack.on.includes(event) || entry.noticed) return;
    entry.noticed = true;
    entry.message.queue(async () => {
      const stage = failedStage(build);
      const failed = stage ? { stage, ...optional('tail', await tailOf(build, stage)) } : undefined;
      await chat.post(slack.channel ?? options.channel, views.notice(build, failed));
    });
  };

  return {
    track: (build) => {
      const found = entryOf(build);
      if (found) show(found);
    },
    onStatus: (build) => {
      const found = entryOf(build);
      if (!found) return;
      show(found);
      if (isFinished(build.status)) maybeNotice(found.entry);
    },
    onStageFinished: (build, stage) => {
      const found = entryOf(build);
      if (!found) return;
      const { entry } = found;
      const row = structuredClone(stage);
      const snapshot = structuredClone(build);
      entry.message.queue(async (ref) => {
        const tail =
          row.status === 'failed' || row.status === 'timed_out' ? await tailOf(snapshot, row) : undefined;
        await chat.reply(ref, views.stage(snapshot, row, tail));
      });
      show(found);
    },
    messageOf: async (id) => {
      const entry = entries.get(id);
      if (entry) {
        let posted: MessageRef | undefined;
        entry.message.queue(async (ref) => {
          posted = ref;
        });
        await entry.message.settled();
        if (posted) return posted;
      }
      return options.messages.get(String(id));
    },
    settled: () =>
      inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
  };
};

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
