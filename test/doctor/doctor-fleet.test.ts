import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, createRegistry } from '../../src/commands/index.js';
import type { Services } from '../../src/commands/types.js';
import { createDoctor } from '../../src/doctor/compose.js';
import { systemClock } from '../../src/engine/ports/index.js';
import type { Message } from '../../src/engine/ports/message.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { type Fleet, startFleet } from '../support/fleet.js';
import { captureLogger } from '../support/logger.js';
import { embeddedNodeLocks } from '../support/node-locks.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../support/puppet-repo.js';

/**
 * Issue 14 §2: `heckler doctor` against three real SSH nodes, one of them broken (the known_hosts
 * the config names holds an impostor's key for node2). node2's line fails with what to do about
 * a host key, the others pass every check, and the process exits non-zero. In chat, only admins.
 */
const root = join(import.meta.dirname, '../..');
let dir: string;
let fleet: Fleet;
let repo: PuppetRepoFixture;
let file: Record<string, unknown>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heckler-doctor-'));
  [fleet, repo] = await Promise.all([startFleet({ nodes: 3 }), createPuppetRepo(join(dir, 'repo'))]);
  file = {
    users: { U0ADMIN: 'ada', U0NOBODY: 'nob' },
    roles: { admins: ['U0ADMIN'] },
    repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror') },
    storage: { dataDir: join(dir, 'data'), keyPrefix: 'doctor' },
    fleet: {
      workDir: '/data/heckler',
      ssh: { key: fleet.privateKeyPath, knownHosts: fleet.wrongHostKeyKnownHosts('node2') },
      nodes: Object.fromEntries(fleet.nodes.map((n) => [n.name, { host: n.host, port: n.port }])),
    },
  };
}, 180_000);

afterAll(async () => {
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const runCli = async (config: Record<string, unknown>, env: Record<string, string> = {}) => {
  const path = join(dir, `heckler-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(path, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/main.ts'), 'doctor', '--config', path],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr, lines: stdout.trim().split('\n') };
};

const linesOf = (lines: readonly string[], subject: string) =>
  lines.filter((l) => l.slice(5).startsWith(`${subject}:`));

describe('heckler doctor on the command line', { timeout: 180_000 }, () => {
  it('fails the node with the wrong host key, with advice, passes the others, and exits 1', async () => {
    const { code, lines, stdout, stderr } = await runCli(file);
    expect(code, `${stdout}\n${stderr}`).toBe(1);
    for (const node of ['node1', 'node3']) {
      expect(linesOf(lines, node).map((l) => l.split(': ').slice(0, 2).join(': '))).toEqual([
        `ok   ${node}: reachable`,
        `ok   ${node}: host key`,
        `ok   ${node}: git`,
        `ok   ${node}: timeout`,
        `ok   ${node}: puppet`,
        `ok   ${node}: free space`,
      ]);
    }
    const broken = linesOf(lines, 'node2');
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatch(
      /^FAIL node2: host key: HOST KEY CHANGED for \[127\.0\.0\.1\]:\d+.* -> compare with the node's own key/,
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ok {3}config: valid: .* is valid, 3 nodes/));
    expect(lines).toContainEqual(expect.stringMatching(/^ok {3}store: read and write: embedded in /));
    expect(lines).toContainEqual(expect.stringMatching(/^ok {3}mirror: readable: main at [0-9a-f]{12}$/));
    expect(lines).toContainEqual('ok   mirror: fetch: the origin answered');
    expect(lines.at(-1)).toMatch(/^1 of \d+ checks failed$/);
    // Nothing was recorded: the impostor's key is still what the file says.
    const again = await runCli(file);
    expect(linesOf(again.lines, 'node2')[0]).toMatch(/^FAIL node2: host key/);
  });

  it('exits 0 when every check passes', async () => {
    const fixed = {
      ...file,
      fleet: {
        ...(file.fleet as object),
        ssh: { key: fleet.privateKeyPath, knownHosts: fleet.knownHostsPath },
      },
    };
    const { code, lines } = await runCli(fixed);
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^all \d+ checks passed$/);
    expect(code).toBe(0);
  });

  it('an invalid config is one failed line and exit 1; Slack and GitHub tokens are checked and never printed', async () => {
    const invalid = await runCli({ ...file, fleet: { ...(file.fleet as object), nodez: {} } });
    expect(invalid.code).toBe(1);
    expect(invalid.lines[0]).toMatch(/^FAIL config: valid: .*nodez/);

    const secret = 'ghp_doctorTestSecretToken123';
    const { lines, stdout } = await runCli(
      {
        ...file,
        slack: { apiUrl: 'http://127.0.0.1:9/api/' },
        repo: { ...(file.repo as object), github: { repo: 'acme/puppet', apiUrl: 'http://127.0.0.1:9' } },
      },
      {
        SLACK_BOT_TOKEN: 'xoxb-doctor-secret-1',
        SLACK_SIGNING_SECRET: 'abc123signing',
        GITHUB_TOKEN: secret,
      },
    );
    expect(linesOf(lines, 'slack')).toEqual([
      expect.stringMatching(/^FAIL slack: auth\.test: .* -> check SLACK_BOT_TOKEN/),
    ]);
    expect(linesOf(lines, 'github')).toEqual([expect.stringMatching(/^FAIL github: token: /)]);
    expect(stdout).not.toContain(secret);
    expect(stdout).not.toContain('xoxb-doctor-secret-1');
  });
});

describe('/heckler doctor in chat', { timeout: 180_000 }, () => {
  let storage: Storage;
  let services: Services;

  beforeAll(async () => {
    storage = await createStorage({ dataDir: join(dir, 'chat-data'), keyPrefix: 'doctor-chat' });
    const config = testConfig(file);
    const { logger } = captureLogger();
    services = {
      chat: new RecordingChat(),
      config,
      commands: createRegistry(),
      clock: systemClock,
      logger,
      version: '9.9.9',
      nodeLocks: await embeddedNodeLocks(),
      doctor: createDoctor({
        config,
        store: storage.store('doctor'),
        storeKind: 'embedded',
        logger,
        secrets: [],
      }),
    };
  });

  afterAll(async () => {
    await storage?.close();
  });

  const ask = async (user: string, text: string): Promise<Message[]> => {
    const answers: Message[] = [];
    await createDispatcher(services).dispatch({
      text,
      user,
      channel: 'C1',
      respond: async (m) => void answers.push(m),
    });
    return answers;
  };

  it('answers an admin with the report, the broken node failing', async () => {
    const [answer] = await ask('U0ADMIN', 'doctor');
    expect(answer?.blocks[0]).toEqual({
      kind: 'section',
      text: expect.stringMatching(/^:x: doctor: 1 of \d+ checks failed$/),
    });
    const report = answer?.blocks[1];
    expect(report?.kind).toBe('code');
    const text = report?.kind === 'code' ? report.text : '';
    expect(text).toMatch(/^FAIL node2: host key: /m);
    expect(text).toMatch(/^ok {3}node1: puppet: puppet \d+\.\d+/m);
  });

  it('refuses everyone else, running no check', async () => {
    const [answer] = await ask('U0NOBODY', 'doctor');
    expect(answer?.text).toMatch(/admin/);
    expect(answer?.blocks.some((b) => b.kind === 'code')).toBe(false);
  });
});
