import { digestView, ownerDigestView } from '../commands/views/permadiff-digest.js';
import type { Config } from '../config/schema.js';
import { isOver } from '../engine/apply/records.js';
import type { ApplyService } from '../engine/apply/service.js';
import { createNodeLocks } from '../engine/locks/node-locks.js';
import type { DigestSnapshot } from '../engine/permadiffs/digest.js';
import { createDigestService, type DigestService } from '../engine/permadiffs/digest-service.js';
import { permadiffIgnores } from '../engine/permadiffs/ignored.js';
import type { PermadiffService } from '../engine/permadiffs/service.js';
import type { Chat, Clock, Logger } from '../engine/ports/index.js';
import type { ReviewService } from '../engine/review/service.js';
import type { Storage } from '../storage/keyv.js';

/**
 * The permadiff digest over the fleet's services: the scan's state, the ignores reviews apply
 * (chat ones, then `approvals.ignore`), node locks and apply records for stale locks, pending
 * reviews; posted in `permadiffs.digest.channel` (else `chat.channel`).
 */
export const composeDigest = (options: {
  config: Config;
  storage: Storage;
  chat: Chat;
  clock: Clock;
  logger: Logger;
  permadiffs: PermadiffService;
  reviews: ReviewService;
  applies: ApplyService;
}): DigestService => {
  const { config, storage, clock, reviews, applies } = options;
  const nodeLocks = createNodeLocks(storage.locks, clock);
  return createDigestService({
    permadiffs: options.permadiffs,
    snapshots: storage.store<DigestSnapshot>('permadiff-digests'),
    chat: options.chat,
    channel: config.permadiffs.digest?.channel ?? config.chat.channel,
    ignores: async () => permadiffIgnores((await reviews.ignores?.active()) ?? [], config.approvals.ignore),
    nodeLocks: () => nodeLocks.list(),
    applyRunning: async (id) => {
      const record = await applies.get(id);
      return record !== undefined && !isOver(record.status);
    },
    pending: () => reviews.pending(),
    ...(config.permadiffs.notifyOwners ? { owners: { admins: config.roles.admins } } : {}),
    present: { digest: digestView, owner: ownerDigestView },
    clock,
    logger: options.logger.child({ part: 'permadiff-digest' }),
  });
};
