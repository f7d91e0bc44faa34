import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ShellChat } from '../../src/bot/shell/chat.js';
import { resolveShellIdentity } from '../../src/bot/shell/identity.js';
import { runShellSession } from '../../src/bot/shell/session.js';
import { createDispatcher, createRegistry } from '../../src/commands/index.js';
import type { ChatRequest } from '../../src/commands/types.js';
import { systemClock } from '../../src/engine/ports/index.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { embeddedNodeLocks } from '../support/node-locks.js';

interface ScriptOptions {
  /** heckler.yml keys on top of the test config; default a demo, where anyone may be anyone. */
  file?: Record<string, unknown>;
  /** The OS user running the terminal. */
  osUser?: string;
  /** Before each request reaches the real dispatcher (to see what the shell sends). */
  onRequest?: (request: ChatRequest) => void;
  /** Before the session reads its first line, e.g. a message with buttons posted by the bot. */
  before?: (chat: ShellChat) => Promise<unknown>;
}

/** Runs a shell session over a script, the way piped stdin drives it, and returns the screen. */
const runScript = async (lines: string[], options: ScriptOptions = {}) => {
  const output = new PassThrough();
  let screen = '';
  output.on('data', (chunk) => {
    screen += String(chunk);
  });
  const config = testConfig(options.file ?? { demo: { dir: '/tmp/heckler-demo' } });
  const chat = new ShellChat(output, config.users);
  const dispatcher = createDispatcher({
    chat,
    config,
    commands: createRegistry(),
    clock: systemClock,
    logger: captureLogger().logger,
    version: '1.2.3',
    nodeLocks: await embeddedNodeLocks(),
  });
  await options.before?.(chat);
  await runShellSession({
    input: Readable.from([lines.join('\n')]),
    output,
    interactive: false,
    chat,
    dispatcher: {
      dispatch: (request) => {
        options.onRequest?.(request);
        return dispatcher.dispatch(request);
      },
    },
    channel: 'heckler',
    users: config.users,
    identity: resolveShellIdentity(config, options.osUser ?? 'ada-os'),
  });
  return { screen, chat };
};

describe('shell adapter', () => {
  it('answers /heckler help as readable text with numbered buttons', async () => {
    const { screen } = await runScript(['/heckler help']);
    expect(screen).toContain('Heckler shell. You are @ada (U0ADMIN).');
    expect(screen).toContain('> /heckler help');
    expect(screen).toContain('(only visible to @ada)');
    expect(screen).toContain('== Heckler commands ==');
    expect(screen).toContain('`/heckler whoami`');
    expect(screen).toMatch(/\[1\] help {2}\[2\] home {2}\[3\] whoami {2}\[4\] version/);
  });

  it('click N presses a button, running its command as the current user', async () => {
    const { screen } = await runScript(['/heckler help', 'click 3']);
    const afterClick = screen.slice(screen.indexOf('> click 3'));
    expect(afterClick).toContain('== /heckler whoami ==');
    expect(afterClick).toContain('Show your user id and the roles you hold');
  });

  it('in the demo, /as switches the acting user by name or id, and roles follow', async () => {
    const { screen } = await runScript(['/as nob', 'whoami', '/as U0APPLIER', 'whoami', '/as nobbb']);
    expect(screen).toContain('You are now @nob (U0NOBODY).');
    expect(screen).toMatch(/│ You are @nob\n│ User id: U0NOBODY\n│ Roles: none/);
    expect(screen).toMatch(/│ You are @abe\n│ User id: U0APPLIER\n│ Roles: applier\n/);
    expect(screen).toMatch(/unknown user 'nobbb' \(did you mean 'nob'\?\); known users: ada \(U0ADMIN\)/);
  });

  it('a click on a button that does not exist says which ones do', async () => {
    const { screen } = await runScript(['click 9', '/heckler help', 'click 42', 'click x']);
    expect(screen).toContain('there is no button 9; no message on screen has buttons');
    expect(screen).toContain('there is no button 42; active buttons: 1, 2, 3');
    expect(screen).toContain('usage: click N');
  });

  it('answers bad input with usage errors and keeps going', async () => {
    const { screen } = await runScript(['/heckler whoamii', '/deploy', 'version "oops', 'version']);
    expect(screen).toMatch(/unknown command 'whoamii' \(did you mean 'whoami'\?\)/);
    expect(screen).toMatch(/unknown \/deploy: type \/heckler COMMAND/);
    expect(screen).toMatch(/unterminated quote/);
    expect(screen).toMatch(/Heckler: 1\.2\.3/);
  });

  it('stops at exit and ignores comments', async () => {
    const { screen } = await runScript(['# a comment', 'exit', 'whoami']);
    expect(screen).not.toContain('> # a comment');
    expect(screen).not.toContain('You are <@');
    expect(screen).not.toMatch(/Roles:/);
  });

  it('an updated message retires its old buttons', async () => {
    const output = new PassThrough();
    let screen = '';
    output.on('data', (chunk) => {
      screen += String(chunk);
    });
    const chat = new ShellChat(output, {});
    const ref = await chat.post('heckler', {
      text: 'commit abc',
      blocks: [
        { kind: 'actions', buttons: [{ label: 'Approve', command: 'approve abc', style: 'primary' }] },
      ],
    });
    expect(chat.button(1)).toMatchObject({ button: { command: 'approve abc' }, ref });
    await chat.update(ref, {
      text: 'approved',
      blocks: [
        { kind: 'section', text: ':white_check_mark: Approved by <@U1> :not_a_shortcode:' },
        { kind: 'code', text: 'a diff line with :x: in it' },
      ],
    });
    expect(chat.button(1)).toBe('button 1 is no longer active: its message has changed');
    expect(screen).toContain(`#heckler · ${ref.ts} (updated)`);
    // Slack's shortcodes read as the characters a terminal shows; code and unknown codes stay as they are.
    expect(screen).toContain('✅ Approved by @U1 :not_a_shortcode:');
    expect(screen).toContain('a diff line with :x: in it');
  });
});

describe('shell adapter: who the terminal is', () => {
  /** Not a demo: ada-os is ada's OS account; `allowImpersonation` as given. */
  const production = (allowImpersonation: boolean) => ({
    shell: { users: { 'ada-os': 'U0ADMIN' }, allowImpersonation },
  });

  it('outside the demo, says who you are and from which OS user, and refuses /as saying how to allow it', async () => {
    const { screen } = await runScript(['/as abe', 'whoami'], { file: production(false) });
    expect(screen).toContain('Heckler shell. You are @ada (U0ADMIN), mapped from OS user ada-os.\n');
    expect(screen).not.toContain('/as NAME');
    expect(screen).toContain(
      '/as is off: this terminal is @ada (U0ADMIN), mapped from OS user ada-os, and may act as no one else. ' +
        'To allow it (a test setup, not a production bot), set shell.allowImpersonation: true in /test/heckler.yml',
    );
    expect(screen).not.toContain('You are now');
    expect(screen).toMatch(
      /│ You are @ada\n│ User id: U0ADMIN\n│ Roles: admin, applier, approver, builder\n/,
    );
  });

  it('with shell.allowImpersonation, /as switches and says which OS user is behind it', async () => {
    const { screen } = await runScript(['/as abe', 'whoami', '/as ada'], { file: production(true) });
    expect(screen).toContain('Act as someone else: /as NAME (shell.allowImpersonation is on).');
    expect(screen).toContain(
      'You are now @abe (U0APPLIER), impersonated by OS user ada-os (who is @ada (U0ADMIN)).',
    );
    expect(screen).toMatch(
      /│ You are @abe\n│ User id: U0APPLIER\n│ Roles: applier\n│ Acting from: the terminal as OS user ada-os\n/,
    );
    expect(screen).toContain('You are now @ada (U0ADMIN), mapped from OS user ada-os.');
  });

  it('every request, typed or clicked, carries the terminal origin with the OS user', async () => {
    const requests: ChatRequest[] = [];
    const { screen } = await runScript(['/heckler help', 'click 3', 'whoami', 'approve abc1234'], {
      file: production(false),
      onRequest: (request) => requests.push(request),
    });
    expect(requests.map((request) => [request.text, request.user, request.origin])).toEqual([
      ['/heckler help', 'U0ADMIN', { surface: 'terminal', osUser: 'ada-os' }],
      ['help whoami', 'U0ADMIN', { surface: 'terminal', osUser: 'ada-os' }],
      ['whoami', 'U0ADMIN', { surface: 'terminal', osUser: 'ada-os' }],
      ['approve abc1234', 'U0ADMIN', { surface: 'terminal', osUser: 'ada-os' }],
    ]);
    // What the dispatcher hands the command: whoami reads the origin from its context.
    expect(screen.slice(screen.indexOf('> whoami'))).toContain(
      '│ Acting from: the terminal as OS user ada-os\n',
    );
  });

  it('an Approve button pressed in the terminal is dispatched with the OS user behind it', async () => {
    const received: ChatRequest[] = [];
    const { screen } = await runScript(['click 1'], {
      file: { shell: { users: { carol: 'U0APPLIER' } } },
      osUser: 'carol',
      onRequest: (request) => received.push(request),
      before: (chat) =>
        chat.post('heckler', {
          text: 'commit abc1234',
          blocks: [{ kind: 'actions', buttons: [{ label: 'Approve', command: 'approve abc1234' }] }],
        }),
    });
    expect(received).toMatchObject([
      { text: 'approve abc1234', user: 'U0APPLIER', origin: { surface: 'terminal', osUser: 'carol' } },
    ]);
    // The real dispatcher answered it (this test config has no repository to approve in).
    expect(screen.slice(screen.indexOf('> click 1'))).toContain('(only visible to @abe)');
  });

  it('in the demo, /as still works, and requests still carry the OS user', async () => {
    const { screen } = await runScript(['/as abe', 'whoami'], { osUser: 'someone' });
    expect(screen).toContain('Heckler shell. You are @ada (U0ADMIN).\n');
    expect(screen).toContain('Act as someone else: /as NAME. Leave: exit');
    expect(screen).toContain('You are now @abe (U0APPLIER).');
    expect(screen).toContain('│ Acting from: the terminal as OS user someone\n');
  });
});
