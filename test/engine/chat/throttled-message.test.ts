import { describe, expect, it } from 'vitest';
import { createThrottledMessage } from '../../../src/engine/chat/throttled-message.js';
import { RecordingChat } from '../../fakes/recording-chat.js';

/** A clock the test moves, and waits that end only when it does. */
const fakeTime = () => {
  let now = 1_000_000;
  let timers: Array<{ due: number; resolve: () => void }> = [];
  return {
    clock: { now: () => now },
    wait: (ms: number) => new Promise<void>((resolve) => timers.push({ due: now + ms, resolve })),
    advance: async (ms: number) => {
      now += ms;
      const due = timers.filter((t) => t.due <= now);
      timers = timers.filter((t) => t.due > now);
      for (const t of due) t.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
};

const setup = () => {
  const time = fakeTime();
  const chat = new RecordingChat();
  let state = 0;
  const errors: unknown[] = [];
  const message = createThrottledMessage({
    chat,
    clock: time.clock,
    wait: time.wait,
    render: () => ({ text: `state ${state}`, blocks: [] }),
    post: (m) => chat.post('C1', m),
    onError: (error) => errors.push(error),
  });
  const texts = (kind: string) =>
    chat.events.filter((e) => e.kind === kind).map((e) => ('message' in e ? e.message.text : ''));
  return { time, chat, message, set: (n: number) => (state = n), texts, errors };
};

describe('a throttled message', () => {
  it('posts once, then coalesces a burst of changes into one edit 1.2 s later showing the latest', async () => {
    const { time, message, set, texts } = setup();
    message.changed();
    for (let n = 1; n <= 20; n += 1) {
      set(n);
      message.changed();
      await time.advance(10);
    }
    // The post went out when the chat work first ran, with the state as it was then.
    expect(texts('post')).toEqual(['state 1']);
    expect(texts('update')).toEqual([]);
    // Posted at +10 ms: the edit is due 1.2 s after that.
    await time.advance(1_000);
    expect(texts('update')).toEqual([]);
    await time.advance(20);
    await message.settled();
    expect(texts('update')).toEqual(['state 20']);
  });

  it('edits at once when the last edit is old enough, never more than once per 1.2 s', async () => {
    const { time, message, set, texts } = setup();
    message.changed();
    await message.settled();
    await time.advance(1_500);
    set(1);
    message.changed();
    await message.settled();
    expect(texts('update')).toEqual(['state 1']);
    set(2);
    message.changed();
    await time.advance(1_199);
    expect(texts('update')).toEqual(['state 1']);
    await time.advance(1);
    await message.settled();
    expect(texts('update')).toEqual(['state 1', 'state 2']);
  });

  it('replies in order with the edits, in the thread of the posted message', async () => {
    const { chat, message } = setup();
    message.queue((ref) => chat.reply(ref, { text: 'first reply', blocks: [] }));
    await message.settled();
    const [post, reply] = chat.events;
    expect(post?.kind).toBe('post');
    expect(reply?.kind === 'reply' && post?.kind === 'post' && reply.thread).toEqual(
      post?.kind === 'post' && post.ref,
    );
  });

  it('a failing chat call is reported, and later work still runs', async () => {
    const { chat, message, errors, texts } = setup();
    const original = chat.update.bind(chat);
    chat.update = async () => {
      throw new Error('ratelimited');
    };
    message.queue(async () => {
      throw new Error('reply failed');
    });
    message.queue((ref) => chat.reply(ref, { text: 'still here', blocks: [] }));
    await message.settled();
    chat.update = original;
    expect(errors.map((e) => (e as Error).message)).toEqual(['reply failed']);
    expect(texts('reply')).toEqual(['still here']);
  });

  it('sends an edit refused for rate again once its Retry-After has passed, with the latest state', async () => {
    const { chat, time, message, set, texts, errors } = setup();
    message.changed();
    await message.settled();
    await time.advance(2_000);
    const original = chat.update.bind(chat);
    chat.update = async () => {
      chat.update = original;
      throw Object.assign(new Error('slack chat.update failed: ratelimited'), { retryAfterMs: 5_000 });
    };
    set(1);
    message.changed();
    await time.advance(10);
    set(2);
    message.changed();
    await time.advance(4_980);
    expect(texts('update')).toEqual([]);
    await time.advance(20);
    await message.settled();
    expect(texts('update')).toEqual(['state 2']);
    expect(errors).toEqual([]);
  });

  it('reports an edit refused for rate five times in a row, and sends the next change', async () => {
    const { chat, time, message, set, texts, errors } = setup();
    message.changed();
    await message.settled();
    const original = chat.update.bind(chat);
    chat.update = async () => {
      throw Object.assign(new Error('slack chat.update failed: ratelimited'), { retryAfterMs: 3_000 });
    };
    set(1);
    message.changed();
    for (let i = 0; i < 6; i += 1) await time.advance(3_000);
    await message.settled();
    expect(errors.map((e) => (e as Error).message)).toEqual(['slack chat.update failed: ratelimited']);
    chat.update = original;
    set(2);
    message.changed();
    await time.advance(1_200);
    await message.settled();
    expect(texts('update')).toEqual(['state 2']);
  });
});
