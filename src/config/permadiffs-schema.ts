import { z } from 'zod';
import { duration } from './fields.js';

/** The permadiff scan: how often every node is nooped at its applied revision, and when a change counts. */
export const permadiffsSchema = z
  .strictObject({
    /** How often the scan runs (on the bot holding the scheduler lease); at least a minute. */
    scanEvery: duration('6h').refine((ms) => ms >= 60_000, 'at least 1m'),
    /** Scans in a row a change must be seen on a node before it is called a permadiff. */
    minRuns: z.number().int().min(1).max(100).default(2),
  })
  .prefault({});

export type PermadiffSettings = z.infer<typeof permadiffsSchema>;
