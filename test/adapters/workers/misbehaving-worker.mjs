// A pool worker for tests, speaking the pool's protocol (src/adapters/workers/protocol.ts) in plain
// JavaScript: `echo` answers with what it was sent; `count` answers with args.parts numbered parts;
// `exit` ends the thread mid-job; `throw` throws outside any handler (an uncaught error in the
// worker). Result parts go one per `more`, as the protocol asks; a `more` for a job with nothing
// left to send, or before any result, answers `failed`, so a pool that over-asks is caught.
import { parentPort } from 'node:worker_threads';

const received = new Map();
const outboxes = new Map();
const send = (message) => parentPort.postMessage(message);
const sendNext = (id) => {
  const outbox = outboxes.get(id);
  if (!outbox) return send({ id, type: 'failed', message: `asked for more of job ${id}, which has none` });
  if (outbox.parts.length > 0) return send({ id, type: 'part', value: outbox.parts.shift() });
  outboxes.delete(id);
  send({ id, type: 'done', value: outbox.value });
};

parentPort.on('message', (message) => {
  if (message.type === 'more') return sendNext(message.id);
  if (message.type === 'part') {
    received.set(message.id, [...(received.get(message.id) ?? []), message.value]);
    return;
  }
  const parts = received.get(message.id) ?? [];
  if (message.task === 'echo') {
    outboxes.set(message.id, { parts: [...parts], value: message.args });
    sendNext(message.id);
  } else if (message.task === 'count') {
    outboxes.set(message.id, {
      parts: Array.from({ length: message.args.parts }, (_, i) => i),
      value: 'counted',
    });
    sendNext(message.id);
  } else if (message.task === 'exit') {
    process.exit(7);
  } else if (message.task === 'throw') {
    setImmediate(() => {
      throw new Error('boom in the worker');
    });
  } else {
    send({ id: message.id, type: 'failed', message: `no task named ${message.task}` });
  }
});
