import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';
import { composeApp } from '../../../src/compose/app.js';
import type { ComposedBuilds } from '../../../src/compose/builds.js';
import type { Config } from '../../../src/config/schema.js';
import type { Chat, Message, MessageRef } from '../../../src/engine/ports/index.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { gitEnv, gitIn } from '../../adapters/git/repos.js';
import { type ChatEvent, RecordingChat } from '../../fakes/recording-chat.js';
import { testConfig } from '../../support/config.js';
import type { TestDocker } from '../../support/docker.js';
import { captureLogger } from '../../support/logger.js';

/** A RecordingChat that also notes when each event happened, to check how often messages are edited. */
export class TimedChat extends RecordingChat {
  readonly at = new Map<ChatEvent, number>();
  override async post(channel: string, message: Message): Promise<MessageRef> {
    const now = Date.now();
    const ref = await super.post(channel, message);
    this.stamp(now);
    return ref;
  }
  override async update(ref: MessageRef, message: Message): Promise<void> {
    const now = Date.now();
    await super.update(ref, message);
    this.stamp(now);
  }
  override async reply(thread: MessageRef, message: Message): Promise<MessageRef> {
    const now = Date.now();
    const ref = await super.reply(thread, message);
    this.stamp(now);
    return ref;
  }
  private stamp(now: number) {
    const event = this.events.at(-1);
    if (event) this.at.set(event, now);
  }
}

/** A git origin the tests push to, one branch per scenario. */
export interface Origin {
  path: string;
  /** Commits `files` on `branch` (created from main when new); returns the full SHA. */
  commit(branch: string, files: Record<string, string>, message?: string): Promise<string>;
}

export const createOrigin = async (path: string): Promise<Origin> => {
  mkdirSync(path, { recursive: true });
  await gitIn(path, 'init', '-q', '-b', 'main');
  let count = 0;
  return {
    path,
    async commit(branch, files, message = `change ${++count}`) {
      const current = await gitIn(path, 'branch', '--show-current');
      const exists = (await gitIn(path, 'branch', '--list', branch)) !== '';
      if (current !== branch) {
        const hasCommits = (await gitIn(path, 'branch', '--list')) !== '';
        await gitIn(path, 'checkout', '-q', ...(exists || !hasCommits ? [branch] : ['-b', branch, 'main']));
      }
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(path, file)), { recursive: true });
        writeFileSync(join(path, file), text);
      }
      await gitIn(path, 'add', '-A');
      await gitIn(path, 'commit', '-q', '--allow-empty', '-m', message);
      const sha = await gitIn(path, 'rev-parse', 'HEAD');
      // The origin's checked-out branch is its HEAD, which mirrors take as the default branch.
      if (branch !== 'main') await gitIn(path, 'checkout', '-q', 'main');
      return sha;
    },
  };
};

export const BUILDER = 'U0BUILDER';
export const NOBODY = 'U0NOBODY';
export const ADMIN = 'U0ADMIN';
export const BUILDS_CHANNEL = 'C0BUILDS';

export interface BuildsHarness {
  config: Config;
  storage: Storage;
  composed: ComposedBuilds;
  chat: TimedChat;
  log: ReturnType<typeof captureLogger>;
  /** Runs a command line through the real dispatcher; returns the private answers. */
  ask(line: string, user?: string): Promise<Message[]>;
  /** Waits until no build runs or waits and chat has caught up. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The real composition (Docker pool, mirrors, queue, chat progress, GitHub adapter) behind the real dispatcher. */
export const startBuilds = async (
  docker: TestDocker,
  builds: Record<string, unknown>,
  extra: Partial<Config> = {},
  { schedule = false, chat: surface }: { schedule?: boolean; chat?: Chat } = {},
): Promise<BuildsHarness> => {
  const dir = mkdtempSync(join(tmpdir(), 'hk-bsvc-'));
  const keyPrefix = `test-bsvc-${randomUUID().slice(0, 8)}`;
  const config = testConfig(
    {
      users: { U0ADMIN: 'ada', U0BUILDER: 'bob', U0NOBODY: 'nob' },
      roles: { admins: [ADMIN], builders: [BUILDER] },
      storage: { dataDir: join(dir, 'data'), keyPrefix },
      builds: {
        docker: { hosts: [{ address: docker.address, capacity: 4 }] },
        channel: BUILDS_CHANNEL,
        pollEvery: '1h',
        ...builds,
      },
    },
    { childEnv: gitEnv(dir), ...extra },
  );
  const log = captureLogger();
  const storage = await createStorage({
    redisUrl: inject('redisUrl'),
    dataDir: join(dir, 'data'),
    keyPrefix,
  });
  // Recorded unless the test brings its own chat surface (Slack through its fake Web API).
  const chat = new TimedChat();
  const app = await composeApp(config, {
    chat: surface ?? chat,
    storage,
    logger: log.logger,
    version: 'test',
    // Polls and the janitor on the real scheduler only when a test asks; others poll by hand.
    ...(schedule ? {} : { scheduler: false as const }),
  });
  const composed = app.builds;
  if (!composed) throw new Error('composeApp made no builds although repos are configured');
  const { dispatcher } = app;
  return {
    config,
    storage,
    composed,
    chat,
    log,
    ask: async (line, user = BUILDER) => {
      const answers: Message[] = [];
      await dispatcher.dispatch({
        text: line,
        user,
        channel: 'C0ASKED',
        respond: async (m) => void answers.push(m),
      });
      return answers;
    },
    idle: () => composed.service.idle(),
    close: async () => {
      await app.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** Everything a message says, as one string. */
export const textOf = (messages: readonly Message[]): string =>
  messages
    .flatMap((m) => m.blocks)
    .map((block) => {
      if (block.kind === 'fields') return block.fields.map((f) => `${f.label}: ${f.value}`).join('\n');
      if (block.kind === 'actions') return block.buttons.map((b) => b.label).join(' ');
      if (block.kind === 'divider') return '---';
      return block.text;
    })
    .join('\n');

/** The events about one message: its post, its updates, and the replies in its thread. */
export const threadOf = (events: readonly ChatEvent[], ref: MessageRef) => ({
  updates: events.flatMap((e) => (e.kind === 'update' && e.ref.ts === ref.ts ? [e] : [])),
  replies: events.flatMap((e) => (e.kind === 'reply' && e.thread.ts === ref.ts ? [e] : [])),
});

export const posts = (events: readonly ChatEvent[], channel?: string) =>
  events.flatMap((e) => (e.kind === 'post' && (channel === undefined || e.channel === channel) ? [e] : []));
