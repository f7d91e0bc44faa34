import type { Readable, Writable } from 'node:stream';
import type { ChatSurface } from '../surface.js';
import { ShellChat } from './chat.js';
import type { ShellIdentity } from './identity.js';
import { runShellSession } from './session.js';

export interface ShellSurfaceOptions {
  input: Readable;
  output: Writable;
  /** A TTY gets a prompt; piped input is read as a script. */
  interactive: boolean;
  /** Who the terminal is (resolveShellIdentity, decided before anything started). */
  identity: ShellIdentity;
  channel: string;
  users: Readonly<Record<string, string>>;
  /** Lines printed before the session's banner (which config, the demo, what is missing). */
  notices?: readonly string[];
}

/** The terminal as a chat surface: one session over input and output, ending at `exit` or end of input. */
export const createShellSurface = (options: ShellSurfaceOptions): ChatSurface => {
  const chat = new ShellChat(options.output, options.users);
  const abort = new AbortController();
  let state: 'new' | 'running' | 'over' = 'new';
  let session: Promise<void> = Promise.resolve();
  let finish: () => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  // A session that fails (its output closed under it) ends the surface with that error.
  const ended = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  ended.catch(() => undefined);
  return {
    kind: 'shell',
    chat,
    ended,
    connected: () => state === 'running',
    check: async () => undefined,
    async start(dispatcher) {
      if (state !== 'new') throw new Error('a chat surface starts once');
      state = 'running';
      for (const notice of options.notices ?? []) options.output.write(`${notice}\n`);
      session = runShellSession({ ...options, chat, dispatcher, signal: abort.signal });
      session.then(
        () => {
          state = 'over';
          finish();
        },
        (error: unknown) => {
          state = 'over';
          fail(error);
        },
      );
      return {};
    },
    async stop() {
      abort.abort();
      if (state === 'new') {
        state = 'over';
        finish();
      }
      await session.catch(() => undefined);
    },
  };
};
