import { parentPort } from 'node:worker_threads';
import { HecklerError } from '../../engine/errors.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { tasks } from './tasks.js';

/** Inside a pool worker: collects each job's parts, runs its task, sends the result back in parts. */
const port = parentPort;
if (!port) throw new Error('worker-main runs in a worker thread only');
const received = new Map<number, unknown[]>();
const send = (message: FromWorker) => port.postMessage(message);

port.on('message', (message: ToWorker) => {
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
  for (const value of result.parts) send({ id: message.id, type: 'part', value });
  send({ id: message.id, type: 'done', value: result.value });
});
