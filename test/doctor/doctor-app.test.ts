import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { Message } from '../../src/engine/ports/message.js';
import { createLocalFleet, type LocalFleet } from '../engine/apply/local-fleet.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';

/** `/heckler doctor` as composeApp wires it: the running bot's store and mirror, nodes from config. */
const dir = mkdtempSync(join(tmpdir(), 'heckler-doctor-app-'));
let local: LocalFleet;
const gitVersion = execFileSync('git', ['--version'], { encoding: 'utf8' })
  .trim()
  .replace(/^git version /, '');
let app: HecklerApp;

beforeAll(async () => {
  local = await createLocalFleet({ nodes: 2, dir: join(dir, 'fleet') });
  const config = testConfig({
    ...local.config,
    storage: { dataDir: join(dir, 'data'), keyPrefix: 'doctor-app' },
  });
  app = await composeApp(config, {
    chat: new RecordingChat(),
    logger: captureLogger().logger,
    scheduler: false,
  });
  await app.start();
}, 120_000);

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ask = async (user: string, text: string): Promise<Message[]> => {
  const answers: Message[] = [];
  await app.dispatcher.dispatch({ text, user, channel: 'C1', respond: async (m) => void answers.push(m) });
  return answers;
};

describe('/heckler doctor in the composed bot', { timeout: 120_000 }, () => {
  it('answers an admin with one line per check over the running store and mirror', async () => {
    const [answer] = await ask('U0ADMIN', 'doctor');
    const report = answer?.blocks.find((b) => b.kind === 'code');
    const text = report?.kind === 'code' ? report.text : '';
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^ok {3}config: valid: .* 2 nodes, repo /);
    expect(lines).toContainEqual(expect.stringMatching(/^ok {3}store: read and write: embedded in /));
    expect(lines).toContainEqual(expect.stringMatching(/^ok {3}mirror: readable: main at [0-9a-f]{12}$/));
    for (const node of local.names) {
      expect(lines).toContain(`ok   ${node}: reachable: local node (no ssh)`);
      expect(lines).toContain(`ok   ${node}: git: git version ${gitVersion}`);
      // The local fleet's stand-in puppet prints no version: that line fails, saying what to do.
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^FAIL ${node}: puppet: '.*/puppet --version' printed no version -> install Puppet or OpenVox on ${node}, or set puppet.command`,
          ),
        ),
      );
    }
    expect(lines.at(-1)).toBe(`${local.names.length} of ${lines.length - 1} checks failed`);
    expect(answer?.blocks[0]).toEqual({
      kind: 'section',
      text: `:x: doctor: ${local.names.length} of ${lines.length - 1} checks failed`,
    });
  });

  it('refuses a user who is not an admin, and runs nothing', async () => {
    const [answer] = await ask('U0NOBODY', 'doctor');
    expect(answer?.text).toMatch(/admin/);
    expect(answer?.blocks.some((b) => b.kind === 'code')).toBe(false);
  });
});
