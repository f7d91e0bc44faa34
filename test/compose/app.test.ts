import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp } from '../../src/compose/app.js';
import type { Config } from '../../src/config/schema.js';
import { HecklerError } from '../../src/engine/errors.js';
import type { ExecResult, NodeSpec, NodeTransport } from '../../src/engine/ports/index.js';
import { createStorage } from '../../src/storage/keyv.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { APP_TOKEN, FakeSocketMode } from '../fakes/slack-socket-mode.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../support/puppet-repo.js';
import { TEST_SIGNING_SECRET } from '../support/slack-signing.js';

const TOKEN = 'xoxb-test-token';
const dir = mkdtempSync(join(tmpdir(), 'heckler-compose-'));
let dirs = 0;
/** A fresh data directory per app: its lock file says whether the store is open. */
const dataDir = () => join(dir, `data${++dirs}`);
const storeOpen = (data: string) => existsSync(join(data, 'heckler.lock'));

let repo: PuppetRepoFixture;
let fake: FakeSlackApi;
beforeAll(async () => {
  [repo, fake] = await Promise.all([
    createPuppetRepo(join(dir, 'repo')),
    FakeSlackApi.start({ tokens: [TOKEN] }),
  ]);
}, 120_000);
afterAll(async () => {
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fleet of one node over the fixture repository, its mirror in `mirror`. */
const withFleet = (data: string, mirror: string) => ({
  storage: { dataDir: data, keyPrefix: 'compose' },
  repo: { url: repo.path, branch: 'main', mirrorDir: mirror },
  fleet: { nodes: { web1: { host: 'web1.example' } } },
});

/** Answers `check` for every node, records what it was asked. */
const recordingTransport = () => {
  const checked: string[] = [];
  let closed = false;
  const answer = (node: NodeSpec): ExecResult => ({
    node: node.name,
    status: 'ok',
    exitCode: 0,
    stdout: '',
    stderr: '',
    durationMs: 1,
  });
  const transport: NodeTransport = {
    exec: async (node) => answer(node),
    check: async (node) => {
      checked.push(node.name);
      return answer(node);
    },
    close: async () => {
      closed = true;
    },
  };
  return { transport, checked, closed: () => closed };
};

const failureOf = async (work: Promise<unknown>): Promise<HecklerError> => {
  try {
    await work;
  } catch (error) {
    if (error instanceof HecklerError) return error;
    throw error;
  }
  throw new Error('expected a HecklerError');
};

describe('composeApp', { timeout: 120_000 }, () => {
  it('builds the shell the config asks for: the session over the given streams, then closes what it opened', async () => {
    const data = dataDir();
    const config: Config = testConfig({
      storage: { dataDir: data, keyPrefix: 'compose' },
      shell: { users: { 'ops-os': 'U0ADMIN' } },
    });
    const output = new PassThrough();
    let screen = '';
    output.on('data', (chunk) => {
      screen += String(chunk);
    });
    const app = await composeApp(config, {
      logger: captureLogger().logger,
      scheduler: false,
      version: '9.9.9',
      shell: {
        input: Readable.from(['/heckler whoami\n/heckler version\nexit\n']),
        output,
        interactive: false,
        osUser: 'ops-os',
        notices: ['(a notice from main)'],
      },
    });
    expect(app.surface.kind).toBe('shell');
    expect(app.chat).toBe(app.surface.chat);
    expect(app.fleet).toBeUndefined();
    expect(storeOpen(data)).toBe(true);
    await app.start();
    await app.surface.ended;
    expect(app.surface.connected()).toBe(false);
    expect(screen.indexOf('(a notice from main)')).toBe(0);
    expect(screen).toContain('Heckler shell. You are @ada (U0ADMIN), mapped from OS user ops-os.');
    expect(screen).toContain('│ Acting from: the terminal as OS user ops-os');
    expect(screen).toContain('9.9.9');
    await app.close();
    expect(storeOpen(data)).toBe(false);
  });

  it('starts nothing for a terminal whose OS user maps to no chat user', async () => {
    const data = dataDir();
    const config = testConfig({ storage: { dataDir: data, keyPrefix: 'compose' } });
    const error = await failureOf(composeApp(config, { shell: { osUser: 'stranger' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(/^OS user stranger is not mapped to a chat user/);
    expect(existsSync(data)).toBe(false);
  });

  it('takes a chat, a node transport and a store from the caller, schedules nothing, and leaves the store open', async () => {
    const data = dataDir();
    const config = testConfig(withFleet(data, join(dir, 'mirror-overrides')));
    const storage = await createStorage({ dataDir: data, keyPrefix: 'compose' });
    const chat = new RecordingChat();
    const nodes = recordingTransport();
    const app = await composeApp(config, {
      chat,
      storage,
      transport: nodes.transport,
      scheduler: false,
      logger: captureLogger().logger,
    });
    expect(app.surface.kind).toBe('headless');
    expect(app.chat).toBe(chat);
    expect(app.scheduler).toBeUndefined();
    expect(app.fleet).toBeDefined();
    await app.start();
    const answers: string[] = [];
    await app.dispatcher.dispatch({
      text: 'nodes --check',
      user: 'U0ADMIN',
      channel: 'C1',
      respond: async (message) => void answers.push(message.text),
    });
    expect(nodes.checked).toEqual(['web1']);
    expect(answers.join('\n')).toContain('web1');
    await Promise.all([app.stop(), app.stop()]);
    expect(nodes.closed()).toBe(true);
    // The caller's store is the caller's to close.
    expect(storeOpen(data)).toBe(true);
    await storage.store<string>('probe').set('k', 'still open');
    expect(await storage.store<string>('probe').get('k')).toBe('still open');
    await storage.close();
    expect(storeOpen(data)).toBe(false);
  });

  it('checks the Slack token before the mirror is cloned, and closes what it opened when Slack refuses it', async () => {
    const data = dataDir();
    const mirror = join(dir, 'mirror-refused');
    const config = testConfig(
      { ...withFleet(data, mirror), slack: { host: '127.0.0.1', port: 0, apiUrl: fake.apiUrl } },
      {
        secrets: { slackBotToken: 'xoxb-not-this-one', slackSigningSecret: TEST_SIGNING_SECRET },
        mode: 'slack',
      },
    );
    const error = await failureOf(composeApp(config, { logger: captureLogger().logger, scheduler: false }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('refused the bot token (invalid_auth)');
    expect(existsSync(mirror)).toBe(false);
    expect(storeOpen(data)).toBe(false);
  });

  it('picks Socket Mode when an app token is set, having checked the bot token and the app token with Slack', async () => {
    const data = dataDir();
    const socket = await FakeSocketMode.start(fake);
    const before = fake.callsTo('auth.test').length;
    const config = testConfig(
      { storage: { dataDir: data, keyPrefix: 'compose' }, slack: { apiUrl: fake.apiUrl } },
      { secrets: { slackBotToken: TOKEN, slackAppToken: APP_TOKEN }, mode: 'slack' },
    );
    const app = await composeApp(config, { logger: captureLogger().logger, scheduler: false });
    expect(app.surface.kind).toBe('slack-socket');
    expect(app.surface.connected()).toBe(false);
    expect(fake.callsTo('auth.test').slice(before)).toEqual([expect.objectContaining({ token: TOKEN })]);
    expect(fake.callsTo('apps.connections.open')).toEqual([expect.objectContaining({ token: APP_TOKEN })]);
    expect(socket.connections).toHaveLength(0);
    await app.close();
    await socket.stop();
    expect(storeOpen(data)).toBe(false);
  });
});
