import { parentPort } from 'node:worker_threads';
import { HecklerError } from '../../engine/errors.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { tasks } from './tasks.js';

/** Inside a pool worker: collects each job's parts, runs its task, sends the result back in parts. */
const port = parentPort;
if (!port) throw new Error('worker-main runs in a worker thread only');
const received = new Map<number, unknown[]>();
/** Each finished job's result parts not yet asked for, and its value, sent after the last part. */
const outboxes = new Map<number, { parts: unknown[]; value: unknown }>();
const send = (message: FromWorker) => port.postMessage(message);

/** The job's next part, or `done` once none is left. */
const sendNext = (id: number) => {
  const outbox = outboxes.get(id);
  if (!outbox) return;
  if (outbox.parts.length > 0) return send({ id, type: 'part', value: outbox.parts.shift() });
  outboxes.delete(id);
  send({ id, type: 'done', value: outbox.value });
};

port.on('message', (message: ToWorker) => {
  if (message.type === 'more') return sendNext(message.id);
  if (message.type === 'part') {
    const parts = received.get(message.id) ?? [];
    parts.push(message.value);
    received.set(message.id, parts);
    return;
  }
  const parts = received.get(message.id) ?? [];
  received.delete(message.id);
  const task = tasks[message.task];
  if (!task) return send({ id: message.id, type: 'failed', message: `no task named ${message.task}` });
  let result: ReturnType<typeof task>;
  try {
    result = task(parts, message.args);
  } catch (error) {
    const known =
      error instanceof HecklerError ? { code: error.code, ...(error.hint ? { hint: error.hint } : {}) } : {};
    return send({
      id: message.id,
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
      ...known,
    });
  }
  outboxes.set(message.id, { parts: [...result.parts], value: result.value });
  sendNext(message.id);
});
