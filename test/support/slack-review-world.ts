import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { ComposedFleet } from '../../src/compose/fleet.js';
import type { SlackCall } from '../fakes/slack-api.js';
import { FakeSlackApi } from '../fakes/slack-api.js';
import { testConfig } from './config.js';
import { type Fleet, startFleet } from './fleet.js';
import { captureLogger } from './logger.js';
import { createPuppetRepo, type PuppetRepoFixture } from './puppet-repo.js';
import { people, users } from './review-world.js';
import { type SendOptions, type SlackBody, sendSigned, TEST_SIGNING_SECRET } from './slack-signing.js';

export const TOKEN = 'xoxb-test-token';

/**
 * The review world in Slack HTTP mode: three SSH nodes running v1, the fixture Puppet repository,
 * and the bot as composeApp builds it for Slack, its Web API pointed at the fake. Requests are
 * signed as Slack signs them, so clicks, modals and shortcuts go through Bolt end to end.
 */
export interface SlackReviewWorld {
  fake: FakeSlackApi;
  fleet: Fleet;
  repo: PuppetRepoFixture;
  app: HecklerApp;
  composed: ComposedFleet;
  log: ReturnType<typeof captureLogger>;
  url: string;
  /** Posts a signed body to the bot; the HTTP answer (a modal's errors ride on it). */
  send(body: SlackBody, options?: SendOptions): Promise<Response>;
  /** The last post or update of the message whose fallback text starts with `prefix`. */
  latestMessage(prefix: string): { channel: string; ts: string; blocks: Record<string, unknown>[] };
  close(): Promise<void>;
}

export const startSlackReviewWorld = async (keyPrefix: string): Promise<SlackReviewWorld> => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-slack-world-'));
  const [fake, fleet, repo] = await Promise.all([
    FakeSlackApi.start({ tokens: [TOKEN] }),
    startFleet({ nodes: 3 }),
    createPuppetRepo(join(dir, 'repo')),
  ]);
  const log = captureLogger([TOKEN, TEST_SIGNING_SECRET], 'info');
  const config = testConfig(
    {
      users,
      roles: { admins: ['U0ADMIN'], appliers: ['U0ADMIN', 'U0ALICE'], approvers: [] },
      repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror') },
      puppet: { args: ['--vardir', '/data/puppet/var', '--confdir', '/data/puppet/conf'] },
      fleet: {
        workDir: '/data/heckler',
        ssh: { key: fleet.privateKeyPath, knownHosts: fleet.knownHostsPath, concurrency: 10 },
        nodes: Object.fromEntries(
          fleet.nodes.map((n) => [n.name, { host: n.host, port: n.port, certname: n.certname }]),
        ),
        sets: { canaries: { nodes: [fleet.nodes[0]?.name ?? 'node1'] } },
      },
      approvals: { owners: { '@alice': 'U0ALICE', '@bob': 'U0BOB' }, people, channel: 'CREVIEW' },
      apply: { channel: 'CAPPLY' },
      slack: { port: 0, path: '/slack/events', apiUrl: fake.apiUrl },
      storage: { dataDir: join(dir, 'data'), keyPrefix },
    },
    { secrets: { slackBotToken: TOKEN, slackSigningSecret: TEST_SIGNING_SECRET }, mode: 'slack' },
  );
  const app = await composeApp(config, {
    logger: log.logger,
    version: '0.0.0-test',
    scheduler: false,
    slack: { host: '127.0.0.1', clientOptions: { retryConfig: { retries: 0 } } },
  });
  const composed = app.fleet;
  if (!composed) throw new Error('no fleet: the test config has no repo');
  const applied = await composed.service.runSha(
    repo.commits.motdChange,
    composed.service.nodes(),
    'apply',
    'U0ADMIN',
  );
  if (applied.some((run) => !run.reached)) throw new Error('could not apply v1 to the test fleet');
  const { port } = await app.start();
  const url = `http://127.0.0.1:${port}/slack/events`;
  const messages = (): SlackCall[] =>
    fake.calls.filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update');
  return {
    fake,
    fleet,
    repo,
    app,
    composed,
    log,
    url,
    send: (body, options) => sendSigned(url, body, options),
    latestMessage(prefix) {
      const call = messages()
        .filter((c) => String(c.args.text ?? '').startsWith(prefix) && c.answer?.ok)
        .at(-1);
      if (!call?.answer) throw new Error(`no message starting with ${prefix}`);
      return {
        channel: String(call.answer.channel),
        ts: String(call.answer.ts),
        blocks: (call.args.blocks ?? []) as Record<string, unknown>[],
      };
    },
    async close() {
      await app.stop();
      await Promise.all([fake.stop(), fleet.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
