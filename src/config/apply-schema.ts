import { z } from 'zod';
import { duration, nodeName } from './fields.js';

const nodesAtOnce = z.number().int().min(1).max(1000);

/** `/heckler apply`: confirmation, locks, rollout and shutdown. */
export const applySchema = z
  .strictObject({
    /** How long a plan's Confirm stays valid. */
    confirmTimeout: duration('10m'),
    /** Nodes applied at once within a set: one number, or per set name (`default` for the rest). */
    concurrency: z.union([nodesAtOnce, z.record(nodeName, nodesAtOnce)]).default(10),
    /** Failures a set may have; one more and no further node starts (0: stop at the first failure). */
    failureThreshold: z.number().int().min(0).default(0),
    /**
     * Nodes locked by someone else at confirm time: `skip` them (and report them), `abort` the
     * apply, or skip at most this many and abort beyond.
     */
    lockedNodes: z.union([z.enum(['skip', 'abort']), z.number().int().min(0)]).default('skip'),
    /** Expiry of the node locks an apply holds; renewed every third of it while the apply runs. */
    lockTtl: duration('2m'),
    /** On SIGTERM: how long node applies already running may take to finish. */
    shutdownGrace: duration('30s'),
    /**
     * Every commit an apply brings needs a passed build of its own ocelot.yml (repo.build); an
     * admin's --force applies past a failed or missing one, and the audit log says so.
     */
    requireBuild: z.boolean().default(false),
    /** Where plans, progress and summaries go; defaults to chat.channel. */
    channel: z.string().min(1).optional(),
  })
  .prefault({});

export type ApplySettings = z.infer<typeof applySchema>;
