import { describe, expect, it } from 'vitest';
import { buildViews } from '../../../src/commands/views/build-progress.js';
import { type BuildLogs, createBuildLogs, type StageLog } from '../../../src/engine/builds/log.js';
import { createChatProgress } from '../../../src/engine/builds/progress.js';
import type { BuildRecord, StageRecord } from '../../../src/engine/builds/records.js';
import type { MessageRef, Store } from '../../../src/engine/ports/index.js';
import { createMemoryStore } from '../../../src/storage/memory-store.js';
import { newBuild, pipeline, stage } from '../../adapters/docker/harness.js';
import { RecordingChat } from '../../fakes/recording-chat.js';
import { captureLogger } from '../../support/logger.js';

/** An in-memory store: the progress only needs get and set. */
const memoryStore = <T>(): Store<T> => createMemoryStore<T>();

/** A clock the test moves, and timers that fire only when it does. */
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
    pending: () => timers.length,
  };
};

const record = (stages: number): BuildRecord => {
  const names = Array.from({ length: stages }, (_, i) => `s${i + 1}`);
  const base = newBuild(pipeline(names.map((name) => stage(name, ['true']))));
  return {
    ...base,
    id: 7,
    pipeline: 'default',
    status: 'queued',
    queuedAt: 1_000_000,
    startedAt: null,
    finishedAt: null,
    waitMs: null,
    stages: names.map((name) => ({
      name,
      key: name,
      status: 'not_run',
      exitCode: null,
      startedAt: null,
      durationMs: null,
    })),
  };
};

const setup = (logs: BuildLogs = createBuildLogs(memoryStore<StageLog>())) => {
  const time = fakeTime();
  const chat = new RecordingChat();
  const progress = createChatProgress({
    chat,
    views: buildViews,
    logs,
    messages: memoryStore<MessageRef>(),
    channel: 'C0BUILDS',
    clock: time.clock,
    logger: captureLogger().logger,
    wait: time.wait,
    // These tests count in seconds; the default gap (1.2 s) has its own test in test/engine/chat.
    minUpdateMs: 1_000,
  });
  const count = (kind: string) => chat.events.filter((e) => e.kind === kind).length;
  return { time, chat, progress, count, logs };
};

/** Lets queued chat work run (the progress chains its calls on promises). */
const flush = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('build progress in chat', () => {
  it('posts once, coalesces five quick stages into one edit a second later, and replies per stage', async () => {
    const { time, chat, progress, count } = setup();
    const build = record(5);
    progress.track(structuredClone(build));
    build.status = 'running';
    build.startedAt = time.clock.now();
    progress.onStatus(build);
    for (const row of build.stages) {
      await time.advance(20);
      Object.assign(row, { status: 'passed', exitCode: 0, startedAt: time.clock.now() - 10, durationMs: 10 });
      progress.onStageFinished(build, row as StageRecord);
    }
    build.status = 'passed';
    build.finishedAt = time.clock.now();
    progress.onStatus(build);
    await flush();
    // The message went out at +20 ms (when the chat work first ran); every later change waits its second.
    expect(count('post')).toBe(1);
    expect(count('reply')).toBe(5);
    expect(count('update')).toBe(0);
    await time.advance(880);
    expect(count('update')).toBe(0);
    await time.advance(40);
    await progress.settled();
    expect(count('update')).toBe(1);
    const last = chat.events.filter((e) => e.kind === 'update').at(-1);
    expect(last?.message.text).toBe(`Build #7 infra/api main ${'a'.repeat(7)}: passed`);
    expect(time.pending()).toBe(0);
  });

  it('edits at once when the last edit is a second old, and never more often', async () => {
    const { time, progress, count } = setup();
    const build = record(3);
    progress.track(structuredClone(build));
    await flush();
    build.status = 'running';
    for (const row of build.stages) {
      await time.advance(1_500);
      Object.assign(row, { status: 'passed', exitCode: 0, startedAt: time.clock.now(), durationMs: 5 });
      progress.onStageFinished(build, row as StageRecord);
      await flush();
    }
    expect(count('update')).toBe(3);
    await time.advance(200);
    build.status = 'passed';
    progress.onStatus(build);
    await flush();
    expect(count('update')).toBe(3);
    await time.advance(800);
    await progress.settled();
    expect(count('update')).toBe(4);
  });

  it('ignores a late queued snapshot once the build runs, and does not reopen a finished build', async () => {
    const { time, chat, progress } = setup();
    const build = record(1);
    const queued = structuredClone(build);
    build.status = 'running';
    progress.onStatus(build);
    progress.track(queued);
    await flush();
    expect(chat.events[0]?.kind === 'post' && chat.events[0].message.text).toMatch(/: running$/);
    build.status = 'passed';
    progress.onStatus(build);
    await time.advance(1_000);
    await progress.settled();
    const before = chat.events.length;
    progress.track(queued);
    progress.onStatus({ ...build, status: 'running' });
    await flush();
    expect(chat.events.length).toBe(before);
  });

  it("replies to a failed stage with its log's last 20 lines", async () => {
    const logs = createBuildLogs(memoryStore<StageLog>());
    const { progress, chat } = setup(logs);
    const build = record(1);
    build.status = 'running';
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    await logs.save(7, 's1', `${lines.join('\n')}\n`);
    const row = Object.assign(build.stages[0] ?? {}, {
      status: 'failed',
      exitCode: 3,
      startedAt: 1,
      durationMs: 5,
    });
    progress.onStageFinished(build, row as StageRecord);
    await progress.settled();
    const reply = chat.events.find((e) => e.kind === 'reply');
    const code = reply?.message.blocks.find((b) => b.kind === 'code');
    expect(code && 'text' in code ? code.text : '').toBe(lines.slice(10).join('\n'));
    expect(reply?.message.blocks.at(-1)).toEqual({
      kind: 'context',
      text: '`/heckler logs 7 --stage s1` shows the whole log',
    });
  });
});
