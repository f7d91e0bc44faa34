import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeLocks, type NodeLocks } from '../../src/engine/locks/node-locks.js';
import { type Clock, systemClock } from '../../src/engine/ports/index.js';
import { createStorage } from '../../src/storage/keyv.js';

/** Node locks over a fresh embedded store, for tests that build Services by hand. */
export const embeddedNodeLocks = async (clock: Clock = systemClock): Promise<NodeLocks> => {
  const storage = await createStorage({
    dataDir: mkdtempSync(join(tmpdir(), 'heckler-locks-')),
    keyPrefix: 'test',
  });
  return createNodeLocks(storage.locks, clock);
};
