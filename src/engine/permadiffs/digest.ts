import { sha256 } from '../delta/change-key.js';
import { USER_ID } from '../text/mrkdwn.js';
import { type IgnoredEntry, type PermadiffEntry, type PermadiffIgnore, splitIgnored } from './ignored.js';
import type { NotScanned, ScanSummary } from './service.js';
import type { StaleLock, WaitingReview } from './stale.js';
import type { PermadiffGroup } from './state.js';

/** A standing permadiff as a digest remembers it, so the next one can say it was resolved. */
export interface RememberedGroup {
  hash: string;
  /** `Type[title]`, literal. */
  name: string;
  nodes: number;
}

/** What the last digest said, kept in the store (namespace `permadiff-digests`). */
export interface DigestSnapshot {
  at: number;
  standing: RememberedGroup[];
  /** Hashes of the groups ignores collapsed (absent in snapshots made before it was kept). */
  ignored?: string[];
  /** Per chat user: what they were last sent privately (its hash, and the groups in it). */
  sent: Record<string, SentToOwner>;
}

export interface SentToOwner {
  hash: string;
  groups: string[];
}

export interface DigestInput {
  now: number;
  minRuns: number;
  groups: readonly PermadiffGroup[];
  lastScan?: ScanSummary;
  previous?: DigestSnapshot;
  /** Active ignores in the order they apply (chat ignores, then `approvals.ignore`). */
  ignores: readonly PermadiffIgnore[];
  staleLocks: readonly StaleLock[];
  /** Commits waiting for approval for more than a day. */
  waiting: readonly WaitingReview[];
  /** With `permadiffs.notifyOwners`: who gets the groups no mapped owner has. */
  owners?: { admins: readonly string[] };
}

export interface Digest {
  at: number;
  /** When the previous digest was made; absent for the first one. */
  since?: number;
  lastScan?: ScanSummary;
  /** Biggest first. */
  standing: PermadiffEntry[];
  /** Distinct nodes with at least one standing permadiff. */
  nodesAffected: number;
  /** Standing now and not at the last digest (every standing group when there was none). */
  fresh: PermadiffEntry[];
  /** Standing at the last digest, neither standing nor ignored now. */
  resolved: RememberedGroup[];
  ignored: IgnoredEntry[];
  /** Ignored now and not at the last digest (hashes; empty for the first digest). */
  newlyIgnored: string[];
  notScanned: NotScanned[];
  staleLocks: StaleLock[];
  waiting: WaitingReview[];
  /** Something new, resolved, newly ignored or no longer ignored since the last digest (always true for the first one). */
  changed: boolean;
}

/** One private message: the groups a person owns (or, for admins, the unowned ones). */
export interface OwnerDigest {
  user: string;
  /** Biggest first; empty when everything they had is gone. */
  owned: PermadiffEntry[];
  unowned: PermadiffEntry[];
  /** Theirs at their last message, no longer standing. */
  resolved: RememberedGroup[];
}

export interface DigestResult {
  digest: Digest;
  /** Only people whose set changed since the last message they got. */
  owners: OwnerDigest[];
  /** To store once the digest is posted. */
  snapshot: DigestSnapshot;
}

const remembered = (entry: PermadiffEntry): RememberedGroup => ({
  hash: entry.group.hash,
  name: entry.name,
  nodes: entry.nodes.length,
});

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && new Set([...a, ...b]).size === a.length;

/**
 * Chat users owning any source of the group; none means unowned (admins get it). A team mapped to
 * a Slack user group (`subteam^S…` in an owner list) is no one to send a private message to.
 */
const ownersOf = (group: PermadiffGroup): string[] => {
  const users: string[] = [];
  for (const part of group.owners)
    for (const owner of part.owners) if (USER_ID.test(owner) && !users.includes(owner)) users.push(owner);
  return users;
};

/** What a person is sent, as one hash: the groups and the nodes each stands on. */
const setHash = (entries: readonly PermadiffEntry[]): string =>
  sha256(
    JSON.stringify(
      entries.map((entry) => [entry.group.hash, entry.nodes] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    ),
  );

/** Each person's share: groups they own, and for admins the groups nobody mapped owns. */
const shares = (standing: readonly PermadiffEntry[], admins: readonly string[]) => {
  const byUser = new Map<string, { owned: PermadiffEntry[]; unowned: PermadiffEntry[] }>();
  const of = (user: string) => {
    const share = byUser.get(user) ?? { owned: [], unowned: [] };
    byUser.set(user, share);
    return share;
  };
  for (const entry of standing) {
    const owners = ownersOf(entry.group);
    if (owners.length > 0) for (const user of owners) of(user).owned.push(entry);
    else for (const admin of admins) of(admin).unowned.push(entry);
  }
  return byUser;
};

const ownerMessages = (
  standing: readonly PermadiffEntry[],
  previous: DigestSnapshot | undefined,
  admins: readonly string[],
  resolved: readonly RememberedGroup[],
): { owners: OwnerDigest[]; sent: Record<string, SentToOwner> } => {
  const byUser = shares(standing, admins);
  const before = previous?.sent ?? {};
  const sent: Record<string, SentToOwner> = {};
  const owners: OwnerDigest[] = [];
  const resolvedOf = (user: string) => {
    const had = new Set(before[user]?.groups ?? []);
    return resolved.filter((group) => had.has(group.hash));
  };
  for (const [user, share] of byUser) {
    const entries = [...share.owned, ...share.unowned];
    const hash = setHash(entries);
    sent[user] = { hash, groups: entries.map((entry) => entry.group.hash) };
    if (before[user]?.hash !== hash) owners.push({ user, ...share, resolved: resolvedOf(user) });
  }
  // Someone none of whose groups stand any more: told once what went, then forgotten.
  for (const user of Object.keys(before))
    if (!byUser.has(user)) owners.push({ user, owned: [], unowned: [], resolved: resolvedOf(user) });
  return { owners: owners.sort((a, b) => (a.user < b.user ? -1 : 1)), sent };
};

/**
 * The digest: a pure function of the stored permadiff state, the last scan, the previous digest,
 * the active ignores, stale locks and long-waiting commits, and now. Ignored groups are collapsed:
 * not standing, not counted, not sent to owners.
 */
export const buildDigest = (input: DigestInput): DigestResult => {
  const { standing, ignored } = splitIgnored(input.groups, input.minRuns, input.ignores);
  const { previous } = input;
  const lastStanding = new Map((previous?.standing ?? []).map((group) => [group.hash, group]));
  const nowStanding = new Set(standing.map((entry) => entry.group.hash));
  const nowIgnored = new Set(ignored.map((entry) => entry.group.hash));
  const fresh = previous ? standing.filter((entry) => !lastStanding.has(entry.group.hash)) : [...standing];
  const resolved = [...lastStanding.values()].filter(
    (group) => !nowStanding.has(group.hash) && !nowIgnored.has(group.hash),
  );
  const affected = new Set<string>();
  for (const entry of standing) for (const node of entry.nodes) affected.add(node);
  const nodesAffected = affected.size;
  const digest: Digest = {
    at: input.now,
    ...(previous ? { since: previous.at } : {}),
    ...(input.lastScan ? { lastScan: input.lastScan } : {}),
    standing,
    nodesAffected,
    fresh,
    resolved,
    ignored,
    newlyIgnored: previous ? [...nowIgnored].filter((hash) => !(previous.ignored ?? []).includes(hash)) : [],
    notScanned: input.lastScan?.notScanned ?? [],
    staleLocks: [...input.staleLocks],
    waiting: [...input.waiting],
    changed:
      previous === undefined ||
      fresh.length > 0 ||
      resolved.length > 0 ||
      !sameSet(previous.ignored ?? [], [...nowIgnored]),
  };
  const routed = input.owners
    ? ownerMessages(standing, previous, input.owners.admins, resolved)
    : { owners: [], sent: previous?.sent ?? {} };
  return {
    digest,
    owners: routed.owners,
    snapshot: {
      at: input.now,
      standing: standing.map(remembered),
      ignored: [...nowIgnored].sort(),
      sent: routed.sent,
    },
  };
};
