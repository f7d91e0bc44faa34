/**
 * Messages between the pool and its workers. A job's input and output both travel in parts, one
 * message each: a message is cloned in one go on the thread that sends or receives it, and many
 * small ones let the bot's event loop answer Slack between them. The result's parts are pulled:
 * the worker sends the next only when the pool asks (`more`), because messages already queued on
 * a port are all received in one go, and forty parts cloned back to back would hold the loop as
 * long as one big message.
 */
export type ToWorker =
  | { id: number; type: 'part'; value: unknown }
  | { id: number; type: 'run'; task: string; args: unknown }
  | { id: number; type: 'more' };

export type FromWorker =
  | { id: number; type: 'part'; value: unknown }
  | { id: number; type: 'done'; value: unknown }
  /** A task threw: its message, and a HecklerError's code and hint, so the caller sees the same error. */
  | { id: number; type: 'failed'; message: string; code?: string; hint?: string };

/** What a task gets (the parts sent, then the arguments) and gives back (parts, then a value). */
export type Task = (parts: unknown[], args: unknown) => { parts: unknown[]; value: unknown };

/** `items` in slices of at most `size`, in order; none for no items. */
export const slices = <T>(items: readonly T[], size: number): T[][] => {
  if (!(size >= 1)) throw new RangeError(`slice size must be at least 1, got ${size}`);
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
};
