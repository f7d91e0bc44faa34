import { randomBytes } from 'node:crypto';
import { isActive, ruleOf, type StoredIgnore } from '../delta/ignores.js';
import type { IgnoreRule } from '../delta/index.js';
import { HecklerError } from '../errors.js';
import type { Clock, Store } from '../ports/index.js';
import { type AuditOrigin, writeAudit as appendAudit, auditOrigin } from '../review/audit.js';
import type { AuditEntry } from '../review/records.js';
import { escapeText, mention } from '../text/mrkdwn.js';

/** An expired ignore is kept this long after expiry (the store's own TTL), then forgotten. */
const KEEP_EXPIRED_MS = 30 * 86_400_000;

export interface NewIgnore {
  type: string;
  title: string;
  reason: string;
  nodes?: string[];
  set?: string;
  by: string;
  ttlMs: number;
  origin?: AuditOrigin;
}

export interface IgnoreService {
  /** Stores the ignore and audits it. */
  add(request: NewIgnore): Promise<StoredIgnore>;
  /** Removes it and audits that; only its author or someone `privileged` (approvers, admins) may. */
  remove(id: string, user: string, privileged: boolean, origin?: AuditOrigin): Promise<StoredIgnore>;
  /** Unexpired ignores, oldest first. */
  active(): Promise<StoredIgnore[]>;
  /** The active ignores as grouping rules (reviews put them after the config's rules). */
  rules(): Promise<IgnoreRule[]>;
}

const newId = () => randomBytes(3).toString('hex');

export const createIgnoreService = (deps: {
  store: Store<StoredIgnore>;
  audit: Store<AuditEntry>;
  clock: Clock;
}): IgnoreService => {
  const audited = (action: 'ignore' | 'unignore', ignore: StoredIgnore, user: string, origin?: AuditOrigin) =>
    appendAudit(deps.audit, {
      at: deps.clock.now(),
      user,
      action,
      reason: ignore.reason,
      via: 'command',
      ignore: {
        id: ignore.id,
        type: ignore.type,
        title: ignore.title,
        expiresAt: ignore.expiresAt,
        ...(ignore.nodes ? { nodes: ignore.nodes } : {}),
        ...(ignore.set ? { set: ignore.set } : {}),
      },
      ...auditOrigin(origin),
    });

  const service: IgnoreService = {
    async add(request) {
      const at = deps.clock.now();
      // Six hex digits are short to type; a clash with a live id is drawn again.
      let id = newId();
      while ((await deps.store.get(id)) !== undefined) id = newId();
      const ignore: StoredIgnore = {
        id,
        type: request.type,
        title: request.title,
        reason: request.reason,
        ...(request.nodes ? { nodes: request.nodes } : {}),
        ...(request.set ? { set: request.set } : {}),
        by: request.by,
        at,
        expiresAt: at + request.ttlMs,
      };
      await deps.store.set(id, ignore, request.ttlMs + KEEP_EXPIRED_MS);
      await audited('ignore', ignore, request.by, request.origin);
      return ignore;
    },
    async remove(id, user, privileged, origin) {
      const ignore = await deps.store.get(id);
      if (ignore === undefined || !isActive(ignore, deps.clock.now())) {
        throw new HecklerError('NOT_FOUND', `no active ignore ${escapeText(id)}`, {
          hint: '`/heckler ignores` lists the active ignores with their ids',
        });
      }
      if (ignore.by !== user && !privileged) {
        throw new HecklerError(
          'NOT_AUTHORIZED',
          `ignore ${escapeText(id)} was made by ${mention(ignore.by)}; only they, approvers or admins may remove it`,
          { hint: `ask ${mention(ignore.by)} or an approver` },
        );
      }
      await deps.store.delete(id);
      await audited('unignore', ignore, user, origin);
      return ignore;
    },
    async active() {
      const now = deps.clock.now();
      const out: StoredIgnore[] = [];
      for await (const [, ignore] of deps.store.entries()) if (isActive(ignore, now)) out.push(ignore);
      return out.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
    },
    rules: async () => (await service.active()).map(ruleOf),
  };
  return service;
};
