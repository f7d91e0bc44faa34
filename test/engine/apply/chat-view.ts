import type { Message, MessageRef } from '../../../src/engine/ports/index.js';
import type { ChatEvent } from '../../fakes/recording-chat.js';

/** Apply messages as a person reads them in a RecordingChat: the latest edit, the thread, the summaries. */

export const textOf = (message: Message) =>
  message.blocks
    .map((b) =>
      b.kind === 'actions'
        ? b.buttons.map((x) => `[${x.label}: ${x.command}]`).join(' ')
        : b.kind === 'divider'
          ? '---'
          : b.kind === 'fields'
            ? b.fields.map((f) => `${f.label}: ${f.value}`).join('\n')
            : b.text,
    )
    .join('\n');

export const applyChat = (events: readonly ChatEvent[], channel: string) => {
  const post = (id: number) => {
    const found = events.find(
      (e) => e.kind === 'post' && e.channel === channel && e.message.text.startsWith(`Apply plan #${id}:`),
    );
    if (found?.kind !== 'post') throw new Error(`no plan #${id} in ${channel}`);
    return found;
  };
  const updates = (ref: MessageRef) =>
    events.filter(
      (e): e is Extract<ChatEvent, { kind: 'update' }> => e.kind === 'update' && e.ref.ts === ref.ts,
    );
  return {
    /** The id of the newest plan posted. */
    lastPlan(): number {
      const plans = events.filter(
        (e) => e.kind === 'post' && e.channel === channel && /^Apply plan #\d+/.test(e.message.text),
      );
      const last = plans.at(-1);
      const id = last?.kind === 'post' ? /^Apply plan #(\d+)/.exec(last.message.text)?.[1] : undefined;
      if (!id) throw new Error('no plan posted');
      return Number(id);
    },
    ref: (id: number) => post(id).ref,
    /** The plan's message as it stands now (the plan, or the progress it became). */
    message(id: number): string {
      const first = post(id);
      const latest = updates(first.ref).at(-1);
      return textOf(latest ? latest.message : first.message);
    },
    updates: (id: number) => updates(post(id).ref),
    thread(id: number): string[] {
      const { ref } = post(id);
      return events.flatMap((e) => (e.kind === 'reply' && e.thread.ts === ref.ts ? [textOf(e.message)] : []));
    },
    /** The channel post that ends apply #id. */
    summary(id: number): string | undefined {
      const found = events.find(
        (e) =>
          e.kind === 'post' &&
          e.channel === channel &&
          new RegExp(`apply \\S+ #${id} (passed|failed|cancelled|interrupted)`).test(e.message.text),
      );
      return found?.kind === 'post' ? textOf(found.message) : undefined;
    },
  };
};
