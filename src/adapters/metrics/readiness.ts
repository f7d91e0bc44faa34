import type { CodeRepo } from '../../engine/ports/repo.js';
import type { Store } from '../../engine/ports/store.js';
import type { ReadinessCheck } from './routes.js';

/**
 * What /readyz asks: the store answers a read, the Puppet mirror answers for its branch tip (when a
 * repository is configured), and the chat surface says it is connected.
 */
export const readinessChecks = (deps: {
  /** Any namespace: a read of a key that is never written. */
  store: Pick<Store<unknown>, 'get'>;
  repo?: Pick<CodeRepo, 'head'>;
  /** Slack: started and (Socket Mode) connected; the shell: always. */
  chatConnected: () => boolean;
}): ReadinessCheck[] => [
  { name: 'store', check: async () => void (await deps.store.get('readiness-probe')) },
  ...(deps.repo
    ? [{ name: 'mirror', check: async () => void (await deps.repo?.head()) } satisfies ReadinessCheck]
    : []),
  {
    name: 'chat',
    check: async () => {
      if (!deps.chatConnected()) throw new Error('the chat surface is not connected');
    },
  },
];
