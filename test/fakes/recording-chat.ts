import type { Chat, ChatFile, Message, MessageRef } from '../../src/engine/ports/index.js';

export type ChatEvent =
  | { kind: 'post'; channel: string; message: Message; ref: MessageRef }
  | { kind: 'update'; ref: MessageRef; message: Message }
  | { kind: 'reply'; thread: MessageRef; message: Message; ref: MessageRef }
  | { kind: 'whisper'; channel: string; user: string; message: Message }
  | { kind: 'direct'; user: string; message: Message; ref: MessageRef }
  | { kind: 'upload'; channel: string; file: ChatFile; thread?: MessageRef };

/** A Chat that remembers everything said through it, for assertions. */
export class RecordingChat implements Chat {
  readonly events: ChatEvent[] = [];
  private next = 1;

  async post(channel: string, message: Message): Promise<MessageRef> {
    const ref = { channel, ts: `${this.next++}.000` };
    this.events.push({ kind: 'post', channel, message, ref });
    return ref;
  }

  async permalink(ref: MessageRef): Promise<string> {
    return `https://chat.test/archives/${ref.channel}/p${ref.ts.replace('.', '')}`;
  }

  async update(ref: MessageRef, message: Message): Promise<void> {
    this.events.push({ kind: 'update', ref, message });
  }

  async reply(thread: MessageRef, message: Message): Promise<MessageRef> {
    const ref = { channel: thread.channel, ts: `${this.next++}.000` };
    this.events.push({ kind: 'reply', thread, message, ref });
    return ref;
  }

  async whisper(channel: string, user: string, message: Message): Promise<void> {
    this.events.push({ kind: 'whisper', channel, user, message });
  }

  async direct(user: string, message: Message): Promise<MessageRef> {
    const ref = { channel: `D-${user}`, ts: `${this.next++}.000` };
    this.events.push({ kind: 'direct', user, message, ref });
    return ref;
  }

  async upload(channel: string, file: ChatFile, thread?: MessageRef): Promise<void> {
    this.events.push({ kind: 'upload', channel, file, ...(thread ? { thread } : {}) });
  }
}
