import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Dispatcher } from '../../commands/dispatch.js';
import type { FormName } from '../../commands/forms.js';
import type { Origin } from '../../commands/types.js';
import type { Message } from '../../engine/ports/index.js';
import type { ShellChat } from './chat.js';
import {
  banner,
  displayUser,
  howYouAre,
  impersonationRefused,
  resolveUser,
  type ShellIdentity,
} from './identity.js';
import { type Ask, answerButton, answerForm } from './prompts.js';

export interface ShellSessionOptions {
  input: Readable;
  output: Writable;
  /** A TTY gets a prompt; piped input is read as a script, one line at a time. */
  interactive: boolean;
  chat: ShellChat;
  dispatcher: Dispatcher;
  channel: string;
  users: Readonly<Record<string, string>>;
  /** Who the terminal starts as, the OS user behind it, and whether `/as` may change the former. */
  identity: ShellIdentity;
  /** Ends the session after the line being handled, as `exit` would (the bot is stopping). */
  signal?: AbortSignal;
}

/** Runs until `exit` or the end of input. Every line is handled to completion before the next. */
export const runShellSession = async (options: ShellSessionOptions): Promise<void> => {
  const { output, chat, dispatcher, channel, users, identity } = options;
  let user = identity.user;
  // Whoever the session acts as, every request says it came from this terminal and this OS user.
  const origin: Origin = { surface: 'terminal', osUser: identity.osUser };
  const say = (text: string) => output.write(`${text}\n`);
  const prompt = () => (options.interactive ? `heckler @${users[user] ?? user}> ` : '');
  const respond = (as: string) => (message: Message) => chat.whisper(channel, as, message);
  /** `/as NAME`: what to tell the user, having switched when that is allowed. */
  const switchTo = (wanted: string | undefined): string => {
    if (identity.impersonation === 'refused') return impersonationRefused(identity, users);
    const switched = resolveUser(wanted, users);
    if (!switched.ok) return switched.error;
    user = switched.id;
    return `You are now ${displayUser(user, users)}${howYouAre(identity, user, users)}.`;
  };

  const rl = createInterface({
    input: options.input,
    output: options.interactive ? output : undefined,
    terminal: options.interactive,
  });
  if (options.signal?.aborted) rl.close();
  options.signal?.addEventListener('abort', () => rl.close(), { once: true });
  rl.setPrompt(prompt());
  say(banner(identity, users));
  rl.prompt();
  // One reader for commands and for the answers a confirm, a question or a form reads next.
  const lines = rl[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | undefined> => {
    const read = await lines.next();
    return read.done ? undefined : read.value;
  };
  const ask: Ask = async (question) => {
    say(question);
    if (options.interactive) {
      rl.setPrompt('? ');
      rl.prompt();
    }
    const answer = await nextLine();
    if (answer !== undefined && !options.interactive) say(`> ${answer}`);
    return answer;
  };
  const openForm = async (form: FormName) => {
    if (!dispatcher.forms) return;
    const answered = await answerForm(form, dispatcher.forms, ask);
    if ('cancelled' in answered) say(answered.cancelled);
    else await dispatcher.dispatch({ text: answered.command, user, origin, channel, respond: respond(user) });
  };
  for (let raw = await nextLine(); raw !== undefined; raw = await nextLine()) {
    const line = raw.trim();
    if (line === 'exit' || line === 'quit') break;
    if (line === '' || line.startsWith('#')) {
      rl.prompt();
      continue;
    }
    if (!options.interactive) say(`> ${line}`);
    const [word = '', ...rest] = line.split(/\s+/);
    if (word === '/as') {
      say(switchTo(rest[0]));
    } else if (word === 'click') {
      const number = Number(rest[0]);
      const found = Number.isInteger(number)
        ? chat.button(number)
        : 'usage: click N (the number shown in [N] beside a button)';
      const answered = typeof found === 'string' ? undefined : await answerButton(found.button, ask, users);
      if (typeof found === 'string') say(found);
      else if (answered && 'cancelled' in answered) say(answered.cancelled);
      else if (answered)
        await dispatcher.dispatch({
          text: answered.command,
          user,
          origin,
          channel,
          source: found.ref,
          respond: respond(user),
        });
    } else if (word.startsWith('/') && word !== '/heckler') {
      const as = identity.impersonation === 'refused' ? '' : ', /as NAME';
      say(`unknown ${word}: type /heckler COMMAND (for example /heckler help)${as}, click N or exit`);
    } else {
      await dispatcher.dispatch({ text: line, user, origin, channel, respond: respond(user), openForm });
    }
    rl.setPrompt(prompt());
    rl.prompt();
  }
  rl.close();
};
