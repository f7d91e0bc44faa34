import { homeMessage } from '../commands/views/home.js';
import type { Config } from '../config/schema.js';
import type { ApplyRecord } from '../engine/apply/records.js';
import type { BuildRecord } from '../engine/builds/records.js';
import { fleetByRevision, type SharedFacts } from '../engine/home/facts.js';
import {
  createHomeService,
  type HomeService,
  type HomeTimer,
  type HomeViewer,
} from '../engine/home/service.js';
import { createNodeLocks } from '../engine/locks/node-locks.js';
import type { Chat, Clock, Logger } from '../engine/ports/index.js';
import type { AppliedState } from '../engine/runs/applied-state.js';
import type { Storage } from '../storage/keyv.js';
import { reviewBuildGate } from './builds.js';
import type { ComposedFleet } from './fleet.js';

const all = async <T>(entries: AsyncIterable<[string, T]>): Promise<T[]> => {
  const out: T[] = [];
  for await (const [, value] of entries) out.push(value);
  return out;
};

/**
 * The dashboard over the stores the fleet and builds keep: no node is asked and nothing is
 * computed that a command would not show (the fleet's revisions are the ones mirrored in storage).
 */
export const composeHome = (options: {
  config: Config;
  storage: Storage;
  clock: Clock;
  logger: Logger;
  fleet: () => ComposedFleet | undefined;
  builds: () => boolean;
  timer?: HomeTimer;
  debounceMs?: number;
}): HomeService => {
  const { config, storage, clock } = options;
  const nodeLocks = createNodeLocks(storage.locks, clock);
  const applied = storage.store<AppliedState>('applied');
  const gather = async (): Promise<SharedFacts> => {
    const fleet = options.fleet();
    const hasBuilds = options.builds();
    const locks = await nodeLocks.list();
    const nodes = fleet?.service.nodes() ?? [];
    const states = await Promise.all(
      nodes.map(async (node) => {
        const state = await applied.get(node.name);
        return { node: node.name, ...(state ? { applied: state } : {}) };
      }),
    );
    const names = new Map<string, string[]>();
    for (const state of states)
      if (state.applied && !names.has(state.applied.revision)) {
        const at = await fleet?.repo.namesAt(state.applied.revision).catch(() => undefined);
        names.set(state.applied.revision, at ? [...at.tags, ...at.branches] : []);
      }
    return {
      reviews: fleet ? await fleet.reviews.pending() : [],
      applies: fleet
        ? (await all(storage.store<ApplyRecord>('applies').entries()))
            .filter((record) => record.status === 'running' || record.status === 'confirmed')
            .sort((a, b) => b.id - a.id)
        : [],
      builds: hasBuilds
        ? (await all(storage.store<BuildRecord>('builds').entries()))
            .filter((record) => record.status === 'running' || record.status === 'queued')
            .sort((a, b) => a.id - b.id)
        : [],
      locks,
      fleet: fleetByRevision(states, locks, (sha) => names.get(sha) ?? []),
      permadiffs: fleet ? (await fleet.permadiffs.current()).groups : [],
      audit: fleet ? await fleet.reviews.auditLog() : [],
      has: { fleet: Boolean(fleet), builds: hasBuilds },
    };
  };
  return createHomeService({
    gather,
    present: homeMessage(reviewBuildGate(config)),
    roles: { admins: config.roles.admins, approvers: config.roles.approvers },
    viewers: storage.store<HomeViewer>('home-viewers'),
    clock,
    logger: options.logger.child({ part: 'home' }),
    ...(options.timer ? { timer: options.timer } : {}),
    ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
  });
};

/**
 * The Chat the fleet and builds talk through, telling the dashboard after each post, edit or reply:
 * every change a dashboard shows (a review, a decision, an apply's or a build's progress) is one.
 */
export const homeWatchedChat = (chat: Chat, changed: () => void): Chat => {
  const watched = new Set<PropertyKey>(['post', 'update', 'reply']);
  // A proxy, so a method the Chat port gains later is passed on rather than silently dropped.
  return new Proxy(chat, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!watched.has(property)) return method.bind(target);
      return async (...args: unknown[]) => {
        const result = await method.apply(target, args);
        changed();
        return result;
      };
    },
  });
};
