import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Dispatcher } from '../../commands/dispatch.js';
import type { Message } from '../../engine/ports/index.js';
import { didYouMean } from '../../engine/text/suggest.js';
import type { ShellChat } from './chat.js';

export interface ShellSessionOptions {
  input: Readable;
  output: Writable;
  /** A TTY gets a prompt; piped input is read as a script, one line at a time. */
  interactive: boolean;
  chat: ShellChat;
  dispatcher: Dispatcher;
  channel: string;
  users: Readonly<Record<string, string>>;
  user: string;
}

const banner = (who: string) =>
  [
    `Heckler shell. You are ${who}.`,
    'Type /heckler help. Press a button with: click N. Act as someone else: /as NAME. Leave: exit',
  ].join('\n');

/** Runs until `exit` or the end of input. Every line is handled to completion before the next. */
export const runShellSession = async (options: ShellSessionOptions): Promise<void> => {
  const { output, chat, dispatcher, channel, users } = options;
  let user = options.user;
  const say = (text: string) => output.write(`${text}\n`);
  const name = (id: string) => (users[id] ? `@${users[id]} (${id})` : id);
  const prompt = () => (options.interactive ? `heckler @${users[user] ?? user}> ` : '');
  const respond = (as: string) => (message: Message) => chat.whisper(channel, as, message);

  const rl = createInterface({
    input: options.input,
    output: options.interactive ? output : undefined,
    terminal: options.interactive,
  });
  rl.setPrompt(prompt());
  say(banner(name(user)));
  rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === 'exit' || line === 'quit') break;
    if (line === '' || line.startsWith('#')) {
      rl.prompt();
      continue;
    }
    if (!options.interactive) say(`> ${line}`);
    const [word = '', ...rest] = line.split(/\s+/);
    if (word === '/as') {
      const switched = resolveUser(rest[0], users);
      if (switched.ok) user = switched.id;
      say(switched.ok ? `You are now ${name(user)}.` : switched.error);
    } else if (word === 'click') {
      const number = Number(rest[0]);
      const found = Number.isInteger(number)
        ? chat.button(number)
        : 'usage: click N (the number shown in [N] beside a button)';
      if (typeof found === 'string') say(found);
      else
        await dispatcher.dispatch({
          text: found.button.command,
          user,
          channel,
          source: found.ref,
          respond: respond(user),
        });
    } else if (word.startsWith('/') && word !== '/heckler') {
      say(`unknown ${word}: type /heckler COMMAND (for example /heckler help), /as NAME, click N or exit`);
    } else {
      await dispatcher.dispatch({ text: line, user, channel, respond: respond(user) });
    }
    rl.setPrompt(prompt());
    rl.prompt();
  }
  rl.close();
};

type Resolved = { ok: true; id: string } | { ok: false; error: string };

const resolveUser = (wanted: string | undefined, users: Readonly<Record<string, string>>): Resolved => {
  const known = Object.entries(users).map(([id, n]) => `${n} (${id})`);
  if (!wanted)
    return { ok: false, error: `usage: /as NAME or /as USERID; known users: ${known.join(', ') || 'none'}` };
  const byName = Object.entries(users).find(([, n]) => n.toLowerCase() === wanted.toLowerCase());
  if (byName) return { ok: true, id: byName[0] };
  if (/^[A-Z0-9_]{2,40}$/.test(wanted)) return { ok: true, id: wanted };
  return {
    ok: false,
    error: `unknown user '${wanted}'${didYouMean(wanted, Object.values(users))}; known users: ${known.join(', ') || 'none'} (or give a user id such as U024BE7LH)`,
  };
};
