import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Origin } from '../../src/commands/types.js';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { ComposedFleet } from '../../src/compose/fleet.js';
import type { Config } from '../../src/config/schema.js';
import type { Message, MessageRef } from '../../src/engine/ports/index.js';
import type { Storage } from '../../src/storage/keyv.js';
import { textOf } from '../engine/apply/chat-view.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from './config.js';
import { type Fleet, startFleet } from './fleet.js';
import { captureLogger } from './logger.js';
import { createPuppetRepo, type PuppetRepoFixture } from './puppet-repo.js';

/**
 * One review world for end-to-end tests: three SSH nodes with v1 applied, the fixture Puppet
 * repository, the bot as composeApp builds it over a recording chat (nothing scheduled: tests poll),
 * and its dispatcher, answering like chat does. Files that test reviews and applies start one each instead of copying the setup.
 */
export interface ReviewWorld {
  fleet: Fleet;
  repo: PuppetRepoFixture;
  storage: Storage;
  chat: RecordingChat;
  composed: ComposedFleet;
  config: Config;
  /** The bot itself, as composeApp built it (its dispatcher answers `dispatch`). */
  app: HecklerApp;
  /** Runs one command line as `user` (a click when `source` is given); the private answers' text. */
  dispatch(user: string, line: string, options?: { source?: MessageRef; origin?: Origin }): Promise<string>;
  /** The commit's message as it stands now (its post with every update applied). */
  messageOf(sha: string): { ref: MessageRef; message: Message; text: string; updates: number };
  /** Commits files on `main` of the fixture repository (null deletes one); its full SHA. */
  commit(
    message: string,
    files: Record<string, string | null>,
    who?: { author?: Identity; committer?: Identity },
  ): string;
  close(): Promise<void>;
}

export interface Identity {
  name: string;
  email: string;
}

export const users = {
  U0ADMIN: 'ada',
  U0ALICE: 'alice',
  U0BOB: 'bob',
  U0CAROL: 'carol',
  U0DAVE: 'dave',
  U0ERIN: 'erin',
  U0MALLORY: 'mallory',
  U0NOBODY: 'nob',
};

export const people = {
  'alice@example.com': 'U0ALICE',
  'bob@example.com': 'U0BOB',
  'carol@example.com': 'U0CAROL',
  'dave@example.com': 'U0DAVE',
  'erin@example.com': 'U0ERIN',
  'mallory@example.com': 'U0MALLORY',
};

/** Every text of a neutral message, buttons as `[Label: command]`, one line per block. */
export { textOf };

/** `repo` and `approvals` of an override are merged into the world's; other keys replace. */
const withoutMerged = ({ repo: _, approvals: __, ...rest }: Record<string, unknown>) => rest;

export const startReviewWorld = async (
  overrides: { file?: Record<string, unknown>; extra?: Partial<Config> } = {},
): Promise<ReviewWorld> => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-world-'));
  const [fleet, repo] = await Promise.all([startFleet({ nodes: 3 }), createPuppetRepo(join(dir, 'repo'))]);
  const file = overrides.file ?? {};
  const config = testConfig(
    {
      users,
      roles: { admins: ['U0ADMIN'], appliers: ['U0ADMIN', 'U0ALICE'], approvers: [] },
      repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror'), ...(file.repo as object) },
      puppet: { args: ['--vardir', '/data/puppet/var', '--confdir', '/data/puppet/conf'] },
      fleet: {
        workDir: '/data/heckler',
        ssh: { key: fleet.privateKeyPath, knownHosts: fleet.knownHostsPath, concurrency: 10 },
        nodes: Object.fromEntries(
          fleet.nodes.map((n) => [n.name, { host: n.host, port: n.port, certname: n.certname }]),
        ),
      },
      approvals: {
        owners: {
          '@alice': 'U0ALICE',
          '@bob': 'U0BOB',
          '@carol': 'U0CAROL',
          '@erin': 'U0ERIN',
          '@mallory': 'U0MALLORY',
        },
        people,
        channel: 'CREVIEW',
        ...(file.approvals as object),
      },
      storage: { dataDir: join(dir, 'data'), keyPrefix: 'test' },
      ...withoutMerged(file),
    },
    overrides.extra,
  );
  const { logger } = captureLogger();
  const chat = new RecordingChat();
  const app = await composeApp(config, { logger, chat, scheduler: false, version: 'test' });
  const composed = app.fleet;
  if (!composed) throw new Error('no fleet: the test config has no repo');
  const { storage, dispatcher } = app;
  // The fleet runs v1 everywhere: deltas are judged against it.
  const applied = await composed.service.runSha(
    repo.commits.motdChange,
    composed.service.nodes(),
    'apply',
    'U0ADMIN',
  );
  if (applied.some((run) => !run.reached)) throw new Error('could not apply v1 to the test fleet');

  return {
    fleet,
    repo,
    storage,
    chat,
    composed,
    config,
    app,
    async dispatch(user, line, options = {}) {
      const answers: Message[] = [];
      await dispatcher.dispatch({
        text: line,
        user,
        channel: 'C1',
        respond: async (m) => void answers.push(m),
        ...(options.source ? { source: options.source } : {}),
        ...(options.origin ? { origin: options.origin } : {}),
      });
      return answers.map((m) => m.text).join('\n');
    },
    messageOf(sha) {
      const post = chat.events.find((e) => e.kind === 'post' && e.message.text.startsWith(sha.slice(0, 7)));
      if (post?.kind !== 'post') throw new Error(`no message for ${sha}`);
      const updates = chat.events.filter((e) => e.kind === 'update' && e.ref.ts === post.ref.ts);
      const latest = updates.at(-1);
      const message = latest?.kind === 'update' ? latest.message : post.message;
      return { ref: post.ref, message, text: textOf(message), updates: updates.length };
    },
    commit(message, files, who = {}) {
      for (const [path, content] of Object.entries(files)) {
        const target = join(repo.path, path);
        if (content === null) rmSync(target, { force: true });
        else {
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, content);
        }
      }
      const author = who.author ?? { name: 'Alice Archer', email: 'alice@example.com' };
      const committer = who.committer ?? author;
      const env = {
        ...process.env,
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
      };
      execFileSync('git', ['-C', repo.path, 'add', '--all'], { env });
      execFileSync('git', ['-C', repo.path, 'commit', '--quiet', '-m', message], { env });
      return execFileSync('git', ['-C', repo.path, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    },
    async close() {
      await app.stop({ graceMs: 1_000 });
      await fleet.stop();
    },
  };
};
