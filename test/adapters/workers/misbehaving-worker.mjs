// A pool worker for tests, speaking the pool's protocol (src/adapters/workers/protocol.ts) in plain
// JavaScript: `echo` answers with what it was sent; `exit` ends the thread mid-job; `throw` throws
// outside any handler (an uncaught error in the worker); `hang-then-exit` exits once told `part`s.
import { parentPort } from 'node:worker_threads';

const received = new Map();
parentPort.on('message', (message) => {
  if (message.type === 'part') {
    received.set(message.id, [...(received.get(message.id) ?? []), message.value]);
    return;
  }
  const parts = received.get(message.id) ?? [];
  if (message.task === 'echo') {
    for (const value of parts) parentPort.postMessage({ id: message.id, type: 'part', value });
    parentPort.postMessage({ id: message.id, type: 'done', value: message.args });
  } else if (message.task === 'exit') {
    process.exit(7);
  } else if (message.task === 'throw') {
    setImmediate(() => {
      throw new Error('boom in the worker');
    });
  } else {
    parentPort.postMessage({ id: message.id, type: 'failed', message: `no task named ${message.task}` });
  }
});
