// A bree job that only says "it is time". Workers share no memory with the bot, so the task runs
// in the main thread (bree's workerMessageHandler); this file stays plain JavaScript, so it loads
// the same under tsx, vitest and a plain `node` run, with no TypeScript loader in the worker.
import { parentPort } from 'node:worker_threads';

parentPort?.postMessage('tick');
// bree terminates the worker on 'done' and counts the run as complete.
parentPort?.postMessage('done');
