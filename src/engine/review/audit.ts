import { randomBytes } from 'node:crypto';
import type { Store } from '../ports/index.js';
import type { AuditEntry } from './records.js';

/** Keys sort by time, so the log reads in order; the random tail keeps two entries in one millisecond apart. */
export const writeAudit = async (store: Store<AuditEntry>, entry: AuditEntry): Promise<void> => {
  await store.set(`${String(entry.at).padStart(15, '0')}-${randomBytes(3).toString('hex')}`, entry);
};

/** Where a person acted from, as the audit log records it. */
export type AuditOrigin = { surface: 'slack' } | { surface: 'terminal'; osUser: string };

export const auditOrigin = (origin: AuditOrigin | undefined): Pick<AuditEntry, 'surface' | 'osUser'> =>
  origin === undefined
    ? {}
    : origin.surface === 'terminal'
      ? { surface: 'terminal', osUser: origin.osUser }
      : { surface: 'slack' };
