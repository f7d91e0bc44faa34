/** Label values come from known sets only: a value from outside one is a fixed fallback. */
export const bounded = <T extends string>(value: string, known: readonly T[], fallback: T): T =>
  (known as readonly string[]).includes(value) ? (value as T) : fallback;

/** A node run's outcome: Puppet's, or why Puppet never ran. */
export const NODE_OUTCOMES = [
  'unchanged',
  'changes',
  'failed',
  'compile_error',
  'timed_out',
  'unreachable',
] as const;

export const STORE_OPERATIONS = [
  'get',
  'set',
  'delete',
  'entries',
  'update',
  'increment',
  'acquire',
  'inspect',
  'forceRelease',
  'list',
  'claimOnce',
  'renew',
  'release',
] as const;

/** `node:web1` → `node`, `leader:scheduler` → `leader`, `apply-id` → `apply-id`; odd keys → `other`. */
export const lockKind = (key: string): string => {
  const kind = key.split(':', 1)[0] ?? '';
  return /^[a-z][a-z-]{0,23}$/.test(kind) ? kind : 'other';
};
