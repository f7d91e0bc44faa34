import { describe, expect, it } from 'vitest';
import { createDispatcher, createRegistry } from '../../src/commands/index.js';
import type { CommandSpec, Services } from '../../src/commands/types.js';
import type { Message } from '../../src/engine/ports/index.js';
import { systemClock } from '../../src/engine/ports/index.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { embeddedNodeLocks } from '../support/node-locks.js';
import { applyLike, lockLike } from './grammar.js';

const explode: CommandSpec = {
  ...lockLike,
  name: 'explode',
  args: [],
  flags: [],
  run: async () => {
    throw new Error('disk on fire');
  },
};

const setup = async () => {
  const { logger, lines } = captureLogger();
  const commands = createRegistry([...createRegistry().all(), applyLike, lockLike, explode]);
  const services: Services = {
    chat: new RecordingChat(),
    config: testConfig(),
    commands,
    clock: systemClock,
    logger,
    version: '9.9.9',
    nodeLocks: await embeddedNodeLocks(),
  };
  const dispatcher = createDispatcher(services);
  const ask = async (user: string, text: string): Promise<Message[]> => {
    const answers: Message[] = [];
    await dispatcher.dispatch({ text, user, channel: 'C1', respond: async (m) => void answers.push(m) });
    return answers;
  };
  return { ask, lines };
};

const textOf = (messages: Message[]) => messages.map((m) => m.text).join('\n');

describe('help is filtered by role', () => {
  it.each([
    ['U0ADMIN', ['help', 'whoami', 'version', 'deploy', 'hold', 'explode'], []],
    ['U0APPLIER', ['help', 'whoami', 'version', 'deploy', 'hold', 'explode'], []],
    ['U0NOBODY', ['help', 'whoami', 'version', 'hold', 'explode'], ['deploy']],
  ])('%s', async (user, shown, hidden) => {
    const { ask } = await setup();
    const [answer] = await ask(user, 'help');
    for (const name of shown) expect(answer?.text).toContain(`/heckler ${name}`);
    for (const name of hidden) expect(answer?.text).not.toContain(`/heckler ${name}`);
    const buttons = answer?.blocks.flatMap((b) =>
      b.kind === 'actions' ? b.buttons.map((x) => x.command) : [],
    );
    expect(buttons).toEqual(expect.arrayContaining(shown.map((name) => `help ${name}`)));
    for (const name of hidden) expect(buttons).not.toContain(`help ${name}`);
  });

  it('an empty /heckler shows the same overview', async () => {
    const { ask } = await setup();
    expect(textOf(await ask('U0NOBODY', ''))).toEqual(textOf(await ask('U0NOBODY', 'help')));
  });

  it('help for a command you may not run says which role it needs', async () => {
    const { ask } = await setup();
    expect(textOf(await ask('U0NOBODY', 'help deploy'))).toMatch(
      /`deploy` needs the applier role; your roles: none\nask an admin \(<@U0ADMIN>\) to add you under roles.appliers/,
    );
    const allowed = textOf(await ask('U0APPLIER', 'help deploy'));
    expect(allowed).toContain('/heckler deploy REV [--nodes LIST] [--force]');
  });

  it('help for an unknown command suggests the closest one', async () => {
    const { ask } = await setup();
    expect(textOf(await ask('U0NOBODY', 'help whoamii'))).toMatch(
      /there is no command 'whoamii' \(did you mean 'whoami'\?\)/,
    );
  });
});

describe('authorization', () => {
  it('refuses a command naming the role needed, and does not run it', async () => {
    const { ask, lines } = await setup();
    const answer = textOf(await ask('U0NOBODY', 'deploy v1'));
    expect(answer).toMatch(/`deploy` needs the applier role/);
    expect(lines.some((l) => l.includes('"msg":"command"'))).toBe(false);
  });

  it('refuses an admin-only flag to a non-admin', async () => {
    const { ask } = await setup();
    expect(textOf(await ask('U0APPLIER', 'deploy v1 --force'))).toMatch(
      /`deploy --force` needs the admin role; your roles: applier/,
    );
    expect(textOf(await ask('U0ADMIN', 'deploy v1 --force'))).toBe('');
  });
});

describe('answers', () => {
  it('whoami lists the roles (admins hold all)', async () => {
    const { ask } = await setup();
    expect(textOf(await ask('U0ADMIN', 'whoami'))).toBe(
      'You are <@U0ADMIN> (id U0ADMIN, ada). Roles: admin, applier, approver, builder.',
    );
    expect(textOf(await ask('U0STRANGER', 'whoami'))).toMatch(/Roles: none/);
  });

  it('version names the version and the wiring', async () => {
    const { ask } = await setup();
    expect(textOf(await ask('U0NOBODY', 'version'))).toMatch(
      /Heckler: 9\.9\.9.*Chat: shell.*Store: embedded/,
    );
  });

  it('an unexpected failure gets a generic answer with an error id that is in the log', async () => {
    const { ask, lines } = await setup();
    const answer = textOf(await ask('U0NOBODY', 'explode'));
    const id = answer.match(/error id ([0-9a-f]{8})/)?.[1];
    expect(id).toBeDefined();
    expect(answer).not.toContain('disk on fire');
    const logged = lines.find((l) => l.includes(`"errorId":"${id}"`));
    expect(logged).toContain('disk on fire');
  });
});
