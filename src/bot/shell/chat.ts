import type { Writable } from 'node:stream';
import type { Button, Chat, ChatFile, Message, MessageRef } from '../../engine/ports/index.js';
import { mentions, printable, renderText } from '../render/text.js';

interface PressableButton {
  button: Button;
  ref: MessageRef;
}

/**
 * The terminal as a chat surface. Messages get short ids (m1, m2…); every button on screen gets
 * a number, and `click N` presses it. Updating a message retires the buttons it showed before,
 * exactly as an edited Slack message no longer has its old buttons.
 */
export class ShellChat implements Chat {
  private nextMessage = 1;
  private nextButton = 1;
  private readonly buttons = new Map<number, PressableButton>();
  private readonly buttonsOf = new Map<string, number[]>();
  /** The file each message showed last: an update prints it again only when its content changed. */
  private readonly filesOf = new Map<string, string>();

  constructor(
    private readonly out: Writable,
    private readonly users: Readonly<Record<string, string>>,
  ) {}

  async post(channel: string, message: Message): Promise<MessageRef> {
    const ref = { channel, ts: `m${this.nextMessage++}` };
    this.print(`#${channel} · ${ref.ts}`, message, ref);
    await this.attach(ref, ref, message);
    return ref;
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    this.retireButtons(ref);
    this.print(`#${ref.channel} · ${ref.ts} (updated)`, message, ref);
    await this.attach(ref, ref, message);
  }

  async reply(thread: MessageRef, message: Message): Promise<MessageRef> {
    const ref = { channel: thread.channel, ts: `m${this.nextMessage++}` };
    this.print(`#${thread.channel} · ${ref.ts} ↳ thread of ${thread.ts}`, message, ref);
    await this.attach(ref, thread, message);
    return ref;
  }

  /** A message's file (a large review's full diff) is printed below it, as Slack attaches it in its thread. */
  private async attach(ref: MessageRef, thread: MessageRef, message: Message): Promise<void> {
    if (!message.file || this.filesOf.get(ref.ts) === message.file.content) return;
    this.filesOf.set(ref.ts, message.file.content);
    await this.upload(ref.channel, message.file, thread);
  }

  async whisper(channel: string, user: string, message: Message): Promise<void> {
    const ref = { channel, ts: `m${this.nextMessage++}` };
    this.print(`#${channel} · ${ref.ts} (only visible to @${this.users[user] ?? user})`, message, ref);
  }

  async direct(user: string, message: Message): Promise<MessageRef> {
    const ref = { channel: `@${user}`, ts: `m${this.nextMessage++}` };
    this.print(`private to @${this.users[user] ?? user} · ${ref.ts}`, message, ref);
    return ref;
  }

  async upload(channel: string, file: ChatFile, thread?: MessageRef): Promise<void> {
    const where = thread ? ` ↳ thread of ${thread.ts}` : '';
    // A build log or a node's output may carry escape sequences: the terminal shows them inert.
    const head = printable(
      `┌ #${channel}${where} · file ${file.filename} (${file.content.length} bytes): ${file.title}`,
    );
    const comment = file.comment ? `│ ${printable(mentions(file.comment, this.users))}\n` : '';
    const body = printable(file.content)
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => `│ ${line}`)
      .join('\n');
    this.out.write(`\n${head}\n${comment}${body}\n└\n`);
  }

  /** The button `click N` refers to, or why there is none. */
  button(number: number): PressableButton | string {
    const found = this.buttons.get(number);
    if (found) return found;
    if (number > 0 && number < this.nextButton)
      return `button ${number} is no longer active: its message has changed`;
    const active = [...this.buttons.keys()];
    return active.length === 0
      ? `there is no button ${number}; no message on screen has buttons`
      : `there is no button ${number}; active buttons: ${active.join(', ')}`;
  }

  private print(title: string, message: Message, ref: MessageRef): void {
    const numbers: number[] = [];
    const lines = renderText(message, {
      users: this.users,
      numberButton: (button) => {
        const number = this.nextButton++;
        this.buttons.set(number, { button, ref });
        numbers.push(number);
        return number;
      },
    });
    this.buttonsOf.set(ref.ts, [...(this.buttonsOf.get(ref.ts) ?? []), ...numbers]);
    this.out.write(`\n┌ ${title}\n${lines.map((line) => `│ ${line}`).join('\n')}\n└\n`);
  }

  private retireButtons(ref: MessageRef): void {
    for (const number of this.buttonsOf.get(ref.ts) ?? []) this.buttons.delete(number);
    this.buttonsOf.delete(ref.ts);
  }
}
