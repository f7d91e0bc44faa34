import { describe, expect, it } from 'vitest';
import type { SharedFacts } from '../../../src/engine/home/facts.js';
import {
  createHomeService,
  type HomeChange,
  type HomeTimer,
  type HomeViewer,
} from '../../../src/engine/home/service.js';
import type { NodeLock } from '../../../src/engine/locks/node-locks.js';
import { createMemoryStore } from '../../../src/storage/memory-store.js';
import { captureLogger } from '../../support/logger.js';

/** A timer that fires only when the test says so: the debounce without the wall clock. */
const manualTimer = () => {
  const armed = new Map<number, () => void>();
  let next = 0;
  const timer: HomeTimer = {
    set: (run) => {
      next += 1;
      armed.set(next, run);
      return next;
    },
    clear: (handle) => void armed.delete(handle as number),
  };
  return {
    timer,
    armed: () => armed.size,
    fire: () => {
      const runs = [...armed.values()];
      armed.clear();
      for (const run of runs) run();
    },
  };
};

const lock = (node: string, owner: string): NodeLock => ({
  key: `node:${node}`,
  node,
  owner,
  reason: 'kernel',
  since: 0,
  expiresAt: 1,
});

const setup = () => {
  const facts: SharedFacts = {
    reviews: [],
    applies: [],
    builds: [],
    locks: [],
    fleet: [],
    permadiffs: [],
    audit: [],
    has: { fleet: true, builds: false },
  };
  let gathers = 0;
  const manual = manualTimer();
  const home = createHomeService({
    gather: async () => {
      gathers += 1;
      return structuredClone(facts);
    },
    // The dashboard lists the user's locks: enough to tell users apart.
    present: (f) => ({ text: `${f.user}: ${f.locks.map((l) => l.node).join(',')}`, blocks: [] }),
    roles: { admins: [], approvers: [] },
    viewers: createMemoryStore<HomeViewer>(),
    clock: { now: () => 0 },
    logger: captureLogger().logger,
    timer: manual.timer,
  });
  const changes: HomeChange[] = [];
  /** Resolves with the next change told to listeners: tests wait on it, not on time. */
  const nextChange = () =>
    new Promise<HomeChange>((resolve) => {
      const off = home.onChange((change) => {
        off();
        resolve(change);
      });
    });
  home.onChange((change) => void changes.push(change));
  return { facts, home, manual, changes, nextChange, gathers: () => gathers };
};

describe('the home service', () => {
  it('a burst of changes is one refresh, after the debounce, of the viewers whose dashboard changed', async () => {
    const s = setup();
    await s.home.opened('U0ALICE');
    await s.home.opened('U0BOB');
    const before = s.gathers();
    s.facts.locks.push(lock('node1', 'U0ALICE'));
    for (let i = 0; i < 50; i += 1) s.home.changed();
    expect(s.manual.armed()).toBe(1);
    expect(s.gathers()).toBe(before);
    const change = s.nextChange();
    s.manual.fire();
    const told = await change;
    expect(told.users).toEqual(['U0ALICE']);
    expect(told.dashboards.get('U0ALICE')?.text).toBe('U0ALICE: node1');
    expect(s.gathers()).toBe(before + 1);
  });

  it('nothing is told when no dashboard changed, and nobody who never opened their home', async () => {
    const s = setup();
    await s.home.opened('U0ALICE');
    s.facts.locks.push(lock('node2', 'U0CAROL'));
    expect((await s.home.refresh()).users).toEqual([]);
    expect(s.changes).toEqual([]);
  });

  it('after close, changes arm nothing', async () => {
    const s = setup();
    await s.home.close();
    s.home.changed();
    expect(s.manual.armed()).toBe(0);
  });
});
