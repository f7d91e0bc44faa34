import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, createRegistry } from '../../src/commands/index.js';
import type { WatchedRepo } from '../../src/engine/builds/watch.js';
import { createNodeLocks } from '../../src/engine/locks/node-locks.js';
import type { Message } from '../../src/engine/ports/index.js';
import { systemClock } from '../../src/engine/ports/index.js';
import {
  BUILDS_CHANNEL,
  type BuildsHarness,
  createOrigin,
  NOBODY,
  type Origin,
  posts,
  startBuilds,
  textOf,
  threadOf,
} from '../engine/builds/service-harness.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { TEST_IMAGE, type TestDocker, useDocker } from '../support/docker.js';
import { type GitDaemon, startGitDaemon } from '../support/git-daemon.js';
import { captureLogger } from '../support/logger.js';

/** watch / unwatch, the one "not watched" wording, and how often a build message is edited. */
const fiveFast = `image: ${TEST_IMAGE}
stages:
${[1, 2, 3, 4, 5].map((n) => `  - name: step${n}\n    script: ["true", "echo step${n}"]`).join('\n')}
`;

let docker: TestDocker;
let api: Origin;
let web: Origin;
let h: BuildsHarness;
let dir: string;
/** Serves `web` over git://: chat may watch only remote URLs under builds.allowedUrls. */
let server: GitDaemon;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hk-bwatch-'));
  docker = await useDocker();
  [api, web] = await Promise.all([createOrigin(join(dir, 'api')), createOrigin(join(dir, 'web'))]);
  await api.commit('main', { 'ocelot.yml': fiveFast });
  await web.commit('main', { 'ocelot.yml': fiveFast });
  server = await startGitDaemon(dir);
  h = await startBuilds(docker, {
    repos: [{ name: 'infra/api', url: api.path }],
    allowedUrls: [`${server.hostPort}/`, 'github.com/acme/'],
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await server?.stop();
  await docker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('/heckler watch and unwatch', () => {
  it('watches a repository, recording its tips without building them', async () => {
    const answer = textOf(await h.ask(`watch infra/web ${server.url('web')}`));
    expect(answer).toContain(
      `:eyes: watching infra/web (${server.url('web')}); new commits on its branches will be built`,
    );
    expect(answer).toContain('current branch tips recorded; nothing built for them');
    expect((await h.composed.service.repos()).map((repo) => [repo.name, repo.source])).toEqual([
      ['infra/api', 'config'],
      ['infra/web', 'chat'],
    ]);
    expect(await h.composed.service.list()).toEqual([]);
  });

  it('refuses to watch twice, to watch what git cannot clone, and users without the builder role', async () => {
    expect(textOf(await h.ask(`watch infra/web ${server.url('web')}`))).toMatch(
      /infra\/web is already watched since \d{4}-\d\d-\d\d \(added by <@U0BUILDER>\)/,
    );
    expect(textOf(await h.ask(`watch infra/db ${server.url('nowhere')}`))).toMatch(
      /could not fetch the repository/,
    );
    expect(textOf(await h.ask(`watch infra/db ${server.url('web')}`, NOBODY))).toMatch(
      /`watch` needs the builder role/,
    );
    expect((await h.composed.service.repos()).map((repo) => repo.name)).toEqual(['infra/api', 'infra/web']);
  });

  it('refuses local repositories and URLs outside builds.allowedUrls, saying which key allows them', async () => {
    const answers = async (url: string) => (await h.ask(`watch infra/db ${url}`))[0]?.text;
    for (const local of [web.path, `file://${web.path}`]) {
      expect(await answers(local)).toBe(
        `${local} is a local repository (a path or file:// URL), which only heckler.yml can watch\n` +
          'an admin adds it under builds.repos in heckler.yml and restarts the bot',
      );
    }
    for (const [url, normalised] of [
      ['https://github.com.evil.test/acme/x', 'github.com.evil.test/acme/x'],
      ['https://evil.test/github.com/acme/x', 'evil.test/github.com/acme/x'],
      ['ssh://git@evil.test/acme/x.git', 'evil.test/acme/x'],
      ['git@evil.test:acme/x.git', 'evil.test/acme/x'],
      [
        `git://127.0.0.2:${server.hostPort.split(':')[1]}/web`,
        `127.0.0.2:${server.hostPort.split(':')[1]}/web`,
      ],
    ]) {
      expect(await answers(url ?? '')).toBe(
        `${url} (${normalised}) is not under builds.allowedUrls (${server.hostPort}/, github.com/acme/)\n` +
          `watch a repository under those, or an admin adds ${normalised?.split('/')[0]}/${normalised?.split('/')[1]}/ ` +
          '(or the repository itself) to builds.allowedUrls in heckler.yml and restarts the bot',
      );
    }
    expect((await h.composed.service.repos()).map((repo) => repo.name)).toEqual(['infra/api', 'infra/web']);
    // The engine refuses local paths even if a caller skipped the command's check.
    await expect(h.composed.service.watch('infra/db', web.path, 'U0BUILDER')).rejects.toThrow(
      /is a local repository/,
    );
  });

  it('does not open a local path that was watched from chat before that was refused', async () => {
    const stored = h.storage.store<WatchedRepo>('build-repos');
    await stored.set('infra/old', { name: 'infra/old', url: web.path, source: 'chat', addedBy: 'U0BUILDER' });
    try {
      expect((await h.ask('build infra/old'))[0]?.text).toBe(
        `${web.path} is a local repository (a path or file:// URL), which only heckler.yml can watch\n` +
          'an admin adds it under builds.repos in heckler.yml and restarts the bot',
      );
    } finally {
      await stored.delete('infra/old');
    }
  });

  it('with builds.allowedUrls empty (the default), says chat watching is off and how to allow it', async () => {
    const config = { ...h.config, builds: { ...h.config.builds, allowedUrls: [] } };
    const dispatcher = createDispatcher({
      chat: new RecordingChat(),
      config,
      commands: createRegistry(),
      clock: systemClock,
      logger: captureLogger().logger,
      version: 'test',
      nodeLocks: createNodeLocks(h.storage.locks, systemClock),
      builds: h.composed.service,
    });
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: `watch infra/db ${server.url('web')}`,
      user: 'U0BUILDER',
      channel: 'C1',
      respond: async (m) => void answers.push(m),
    });
    expect(answers[0]?.text).toBe(
      `watching from chat is off: builds.allowedUrls is empty, so only the repositories in heckler.yml are watched (${server.url('web')} was refused)\n` +
        `an admin adds ${server.hostPort}/web/ (or the repository itself) to builds.allowedUrls in heckler.yml and restarts the bot`,
    );
  });

  it('does not unwatch a repository from heckler.yml, and says why', async () => {
    expect((await h.ask('unwatch infra/api'))[0]?.text).toBe(
      'infra/api is watched from heckler.yml, so it cannot be unwatched in chat\nremove it from builds.repos in heckler.yml and restart the bot',
    );
  });

  it('says a repository is not watched in the same words whichever command asks', async () => {
    const expected = 'infra/apy is not watched (did you mean infra/api?); /heckler watch REPO URL adds one';
    for (const line of [
      'build infra/apy',
      'builds infra/apy',
      'validate infra/apy main',
      'unwatch infra/apy',
    ]) {
      const [answer] = await h.ask(line);
      expect(answer?.text, line).toBe(expected);
    }
  });

  it('edits a build message at most once a second, however quickly its five stages end', async () => {
    expect(textOf(await h.ask('build infra/web'))).toMatch(/queued build #\d+ of infra\/web main/);
    await h.idle();
    const [post] = posts(h.chat.events, BUILDS_CHANNEL);
    if (!post) throw new Error('no build message');
    const { updates, replies } = threadOf(h.chat.events, post.ref);
    expect(replies).toHaveLength(5);
    expect(textOf([updates.at(-1)?.message ?? post.message])).toMatch(/— passed in/);
    // Fewer edits than state changes (running + 5 stages + passed): they were coalesced.
    expect(updates.length).toBeLessThan(7);
    const times = [post, ...updates].map((event) => h.chat.at.get(event) ?? 0);
    for (let i = 1; i < times.length; i++)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(995);
  });

  it('unwatches a repository added in chat; commands then say it is not watched', async () => {
    expect(textOf(await h.ask('unwatch infra/web'))).toBe(
      'stopped watching infra/web; its past builds stay listed',
    );
    expect((await h.ask('build infra/web'))[0]?.text).toBe(
      'infra/web is not watched (did you mean infra/api?); /heckler watch REPO URL adds one',
    );
  });
});

describe('without builds configured', () => {
  it('every build command says how to set builds up', async () => {
    const config = testConfig();
    const dispatcher = createDispatcher({
      chat: new RecordingChat(),
      config,
      commands: createRegistry(),
      clock: systemClock,
      logger: captureLogger().logger,
      version: 'test',
      nodeLocks: createNodeLocks(h.storage.locks, systemClock),
    });
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: 'builds',
      user: 'U0ADMIN',
      channel: 'C1',
      respond: async (m) => void answers.push(m),
    });
    expect(textOf(answers)).toMatch(
      /builds are not set up on this bot[\s\S]*add a repository under builds\.repos/,
    );
  });
});
