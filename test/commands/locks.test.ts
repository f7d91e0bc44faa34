import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher, createRegistry } from '../../src/commands/index.js';
import type { Services } from '../../src/commands/types.js';
import { createNodeLocks } from '../../src/engine/locks/node-locks.js';
import type { Message, NodeTransport } from '../../src/engine/ports/index.js';
import { systemClock } from '../../src/engine/ports/index.js';
import type { AppliedState } from '../../src/engine/runs/applied-state.js';
import { createFleetService } from '../../src/engine/runs/fleet-service.js';
import { createStorage } from '../../src/storage/keyv.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';

/** Locking needs only the inventory: nothing may reach a node or the repository. */
const unreachable = (): never => {
  throw new Error('lock commands must not talk to nodes or the repository');
};
const noTransport: NodeTransport = { exec: unreachable, check: unreachable, close: async () => {} };

let chat: RecordingChat;
let ask: (user: string, text: string) => Promise<string>;

beforeEach(async () => {
  const config = testConfig({
    users: { U0ADMIN: 'ada', U0APPLIER: 'abe', U0OTHER: 'oli', U0NOBODY: 'nob' },
    roles: { admins: ['U0ADMIN'], appliers: ['U0APPLIER', 'U0OTHER'] },
    fleet: { nodes: { web1: null, web2: null, web3: null }, sets: { canaries: { nodes: ['web1'] } } },
  });
  const { logger } = captureLogger();
  const storage = await createStorage({
    dataDir: mkdtempSync(join(tmpdir(), 'heckler-lockcmd-')),
    keyPrefix: 't',
  });
  chat = new RecordingChat();
  const fleet = createFleetService({
    repo: new Proxy({}, { get: unreachable }) as never,
    transport: noTransport,
    fleet: config.fleet,
    puppet: config.puppet,
    applied: storage.store<AppliedState>('applied'),
    runCommand: unreachable,
    clock: systemClock,
    logger,
  });
  const services: Services = {
    chat,
    config,
    commands: createRegistry(),
    clock: systemClock,
    logger,
    version: 'test',
    nodeLocks: createNodeLocks(storage.locks, systemClock),
    fleet,
  };
  const dispatcher = createDispatcher(services);
  ask = async (user, line) => {
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: line,
      user,
      channel: 'C1',
      respond: async (m) => void answers.push(m),
    });
    return answers.map((m) => m.text).join('\n');
  };
});

const posted = () => chat.events.flatMap((e) => (e.kind === 'post' ? [e.message.text] : []));

describe('lock, unlock, locks', () => {
  it('locks nodes with a reason and lists them', async () => {
    expect(await ask('U0APPLIER', 'lock web1,web2 kernel upgrade --for 2h')).toBe('');
    expect(posted()).toEqual([':lock: <@U0APPLIER> locked web1, web2 for 2h: kernel upgrade']);
    const listed = await ask('U0NOBODY', 'locks');
    expect(listed).toMatch(
      /^2 nodes locked:\n• \*web1\* <@U0APPLIER>: kernel upgrade · since .* · expires in (?:1h59m\d+s|2h)\n/,
    );
    expect(listed).toContain('• *web2* <@U0APPLIER>: kernel upgrade');
  });

  it('locks all or nothing, and a refusal names the holder and the reason', async () => {
    await ask('U0APPLIER', 'lock web2 db migration');
    const refused = await ask('U0OTHER', 'lock web2,web3 deploy');
    expect(refused).toMatch(
      /a node is locked:\nweb2: locked by <@U0APPLIER> \(db migration\), (?:23h59m\d+s|1d) left/,
    );
    expect(refused).toMatch(/nothing was locked/);
    expect(await ask('U0NOBODY', 'locks')).not.toContain('web3');
  });

  it('a set name locks its members', async () => {
    await ask('U0APPLIER', 'lock canaries trying a JVM');
    expect(await ask('U0NOBODY', 'locks')).toMatch(/^1 node locked:\n• \*web1\*/);
  });

  it('only the holder unlocks, unless an admin forces it', async () => {
    await ask('U0APPLIER', 'lock web1 mine');
    expect(await ask('U0OTHER', 'unlock web1')).toMatch(
      /not your lock:\nweb1: locked by <@U0APPLIER> \(mine\)[\s\S]*an admin can pass --force/,
    );
    expect(await ask('U0OTHER', 'unlock web1 --force')).toMatch(/`unlock --force` needs the admin role/);
    expect(await ask('U0NOBODY', 'locks')).toContain('web1');
    expect(await ask('U0ADMIN', 'unlock web1 --force')).toBe('');
    expect(posted().at(-1)).toBe(':unlock: <@U0ADMIN> unlocked web1 (forced)');
    expect(await ask('U0NOBODY', 'locks')).toBe('No node is locked.');
  });

  it('the holder unlocks; unlocking a free node says so', async () => {
    await ask('U0APPLIER', 'lock web1 mine');
    expect(await ask('U0APPLIER', 'unlock web1,web2')).toBe('not locked: web2');
    expect(posted().at(-1)).toBe(':unlock: <@U0APPLIER> unlocked web1');
  });

  it.each([
    ['U0NOBODY', 'lock web1 x', /`lock` needs the applier role/],
    [
      'U0APPLIER',
      'lock web9 x',
      /unknown node or set 'web9' \(did you mean 'web1'\?\); nodes: web1, web2, web3; sets: canaries, all/,
    ],
    ['U0APPLIER', 'lock web1', /missing REASON/],
    ['U0APPLIER', 'lock web1 x --for 31d', /--for must be between 1s and 30d, not 31d/],
    ['U0APPLIER', 'lock web1 x --for soon', /'soon' is not a valid DURATION/],
  ])('%s: %s is refused and locks nothing', async (user, line, expected) => {
    expect(await ask(user, line)).toMatch(expected);
    expect(await ask('U0NOBODY', 'locks')).toBe('No node is locked.');
    expect(posted()).toEqual([]);
  });
});
