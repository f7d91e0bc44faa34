import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ShellChat } from '../../src/bot/shell/chat.js';
import { resolveShellIdentity } from '../../src/bot/shell/identity.js';
import { runShellSession } from '../../src/bot/shell/session.js';
import type { Dispatcher } from '../../src/commands/dispatch.js';
import type { Forms } from '../../src/commands/forms.js';
import { createRegistry } from '../../src/commands/index.js';
import { parseCommand } from '../../src/commands/parse.js';
import type { ChatRequest } from '../../src/commands/types.js';
import { approveButton, denyButton } from '../../src/commands/views/decision-buttons.js';
import { testConfig } from '../support/config.js';

/**
 * The terminal's forms of Slack's dialogs: a confirm is a y/N question, Deny asks for its reason on
 * the next line, `/heckler apply` alone asks for the revision and the nodes. Scripts drive them as
 * piped input does, one answer per line.
 */

const SHA = '3f9c2e1aa0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
const commit = { shortSha: SHA.slice(0, 7), pinned: `${SHA}@9a8b7c6d5e4f`, nodes: 3 };

const forms: Forms = {
  sets: () => ['all', 'canaries'],
  revisions: async () => [
    { label: 'main (branch tip, 1234567)', value: 'main' },
    { label: 'v2', value: 'v2' },
  ],
};

const run = async (lines: string[]) => {
  const output = new PassThrough();
  let screen = '';
  output.on('data', (chunk) => {
    screen += String(chunk);
  });
  const config = testConfig({ demo: { dir: '/tmp/heckler-demo' } });
  const chat = new ShellChat(output, config.users);
  await chat.post('heckler', {
    text: 'review',
    blocks: [{ kind: 'actions', buttons: [approveButton(commit), denyButton(commit)] }],
  });
  const requests: ChatRequest[] = [];
  const dispatcher: Dispatcher = {
    forms,
    async dispatch(request) {
      requests.push(request);
      // `apply` alone opens the form, as the real command does on a surface that has one.
      if (/^(\/heckler )?apply$/.test(request.text)) await request.openForm?.('apply');
    },
  };
  await runShellSession({
    input: Readable.from([lines.join('\n')]),
    output,
    interactive: false,
    chat,
    dispatcher,
    channel: 'heckler',
    users: config.users,
    identity: resolveShellIdentity(config, 'ada-os'),
  });
  return { screen, texts: requests.map((r) => r.text) };
};

const registry = createRegistry();
const argsOf = (line: string) => {
  const parsed = parseCommand(line, registry);
  if (parsed.kind !== 'call') throw new Error(`${line} does not parse`);
  return parsed.call.args;
};

describe('shell dialogs', () => {
  it('asks a confirm as a y/N question: anything but y or yes leaves the command unrun', async () => {
    const { screen, texts } = await run(['click 1', 'n', 'click 1', '', 'click 1', 'yes']);
    expect(screen).toContain(
      `Approve ${commit.shortSha}? You approve what \`${commit.shortSha}\` changes on 3 nodes`,
    );
    expect(screen).toContain('Approve? [y/N]');
    expect(screen.match(/not done: Approve was not confirmed/g)).toHaveLength(2);
    expect(texts).toEqual([`approve ${commit.pinned}`]);
  });

  it('Deny asks for the reason on the next line after its confirm, and dispatches it as the REASON', async () => {
    const reason = `don't: "workers 4" --force <!channel>`;
    const { screen, texts } = await run(['click 2', 'y', reason]);
    expect(screen).toContain(
      'Why deny it? The author reads this to know what to fix. (an empty line cancels)',
    );
    expect(texts).toHaveLength(1);
    expect(argsOf(texts[0] ?? '')).toEqual({ REV: commit.pinned, REASON: reason });
  });

  it('an empty reason, or a declined confirm, denies nothing', async () => {
    const { screen, texts } = await run(['click 2', 'y', '', 'click 2', 'no']);
    expect(screen).toContain('not done: Deny needs an answer');
    expect(screen).toContain('not done: Deny was not confirmed');
    expect(texts).toEqual([]);
  });

  it('`/heckler apply` alone asks for the revision and the nodes, then runs the typed form of it', async () => {
    const { screen, texts } = await run(['/heckler apply', 'v2', 'canaries', '/heckler apply', 'main', '']);
    expect(screen).toContain('Apply which revision? (main, v2, or a SHA)');
    expect(screen).toContain('To which nodes? all, canaries [all]');
    expect(texts).toEqual([
      '/heckler apply',
      'apply --set canaries -- v2',
      '/heckler apply',
      'apply --set all -- main',
    ]);
  });

  it('a form answer with extra words or flags is refused, not run', async () => {
    const { screen, texts } = await run(['/heckler apply', 'v2 --force', 'all', '/heckler apply', '']);
    expect(screen).toContain('not done: one word per answer, please');
    expect(screen).toContain('not done: no revision given');
    expect(texts).toEqual(['/heckler apply', '/heckler apply']);
  });
});
