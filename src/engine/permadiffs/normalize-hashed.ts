import type { StoredChange } from '../changes/hash.js';
import type { ChangeStore } from '../changes/store.js';
import type { HashedDelta } from '../delta/hashed.js';
import { HecklerError } from '../errors.js';
import { hostNormalizer } from './normalize.js';

/**
 * A scanned node's delta with its changes host-normalised (`hostNormalizer`): a change that names
 * the node gets the key of its normalised body, stored like any other, so a motd greeting each
 * host by name is one key, and one group, across the fleet. Changes that do not name the node
 * keep their key. `bodies` collects every body the scan's grouping will read.
 */
export const normalizedDelta = async (
  changes: ChangeStore,
  delta: HashedDelta,
  node: { name: string; certname?: string },
  bodies: Map<string, StoredChange>,
): Promise<HashedDelta> => {
  const found = await changes.bodies(delta.keys.filter((key) => !bodies.has(key)));
  for (const [key, body] of found) bodies.set(key, body);
  const normalize = hostNormalizer(node);
  const keys: string[] = [];
  for (const key of delta.keys) {
    const body = bodies.get(key);
    if (body === undefined)
      throw new HecklerError('STORE_UNAVAILABLE', `the change store lost change ${key} of ${node.name}`, {
        hint: 'check the store (Redis memory limits evict keys), then scan again',
      });
    const normalized = normalize(body.change);
    if (normalized === body.change) {
      keys.push(key);
      continue;
    }
    const id = await changes.add(normalized);
    bodies.set(id.key, { hash: id.hash, change: normalized });
    keys.push(id.key);
  }
  return { ...delta, keys };
};
