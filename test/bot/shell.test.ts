import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ShellChat } from '../../src/bot/shell/chat.js';
import { runShellSession } from '../../src/bot/shell/session.js';
import { createDispatcher, createRegistry } from '../../src/commands/index.js';
import { systemClock } from '../../src/engine/ports/index.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { embeddedNodeLocks } from '../support/node-locks.js';

/** Runs a shell session over a script, the way piped stdin drives it, and returns the screen. */
const runScript = async (lines: string[], user = 'U0ADMIN') => {
  const output = new PassThrough();
  let screen = '';
  output.on('data', (chunk) => {
    screen += String(chunk);
  });
  const config = testConfig();
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
  await runShellSession({
    input: Readable.from([lines.join('\n')]),
    output,
    interactive: false,
    chat,
    dispatcher,
    channel: 'heckler',
    users: config.users,
    user,
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
    expect(screen).toMatch(/\[1\] help {2}\[2\] whoami {2}\[3\] version/);
  });

  it('click N presses a button, running its command as the current user', async () => {
    const { screen } = await runScript(['/heckler help', 'click 2']);
    const afterClick = screen.slice(screen.indexOf('> click 2'));
    expect(afterClick).toContain('== /heckler whoami ==');
    expect(afterClick).toContain('Show your user id and the roles you hold');
  });

  it('/as switches the acting user by name or id, and roles follow', async () => {
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
