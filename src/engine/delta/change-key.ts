import { createHash, hash } from 'node:crypto';
import type { ResourceChange, ResourceEvent } from '../puppet/types.js';

/**
 * The identity of a change: what two nodes must share for a reviewer to approve them as one group
 * (DESIGN.md §3.4). It is everything the change does — type, title, defined type, events, diff,
 * refresh, failed, skipped, logs — and nothing about where it is declared: `file` and `line` are
 * left out on purpose. A commit that moves a resource without changing it (an edit above it shifts
 * its line; the real fixtures show `Exec[reload webapp]` at line 12 in one commit and line 10 in
 * the next) must neither survive subtraction as a new change nor split a group or void an approval.
 * `skipped` is in although the issue does not list it: "skipped because a dependency failed" is
 * an outcome a reviewer must see, like `failed`.
 */

/** Plain code-unit order: canonical text must not depend on the process's locale. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const compareNullable = (a: string | null, b: string | null): number =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : compareText(a, b);

const compareEvents = (a: ResourceEvent, b: ResourceEvent): number =>
  compareText(a.property, b.property) || compareNullable(a.from, b.from) || compareNullable(a.to, b.to);

const isSorted = <T>(items: readonly T[], compare: (a: T, b: T) => number): boolean => {
  for (let i = 1; i < items.length; i++) if (compare(items[i - 1] as T, items[i] as T) > 0) return false;
  return true;
};

// Normalization already sorts events; copying only when needed keeps the hot path allocation-free.
const sortedEvents = (events: readonly ResourceEvent[]) =>
  isSorted(events, compareEvents) ? events : [...events].sort(compareEvents);
const sortedLogs = (logs: readonly string[]) =>
  isSorted(logs, compareText) ? logs : [...logs].sort(compareText);

/**
 * A JSON array of the identity fields in a fixed order, events and logs sorted (their order is not
 * part of the change), absent optional fields as null. Positional rather than keyed: it is half
 * the size, and the text is hashed and compared, not read.
 */
export const canonicalChange = (resource: ResourceChange): string =>
  JSON.stringify([
    resource.type,
    resource.title,
    resource.defineType ?? null,
    sortedEvents(resource.events).map((event) => [event.property, event.from, event.to]),
    resource.diff ?? null,
    resource.refresh,
    resource.failed,
    resource.skipped,
    sortedLogs(resource.logs),
  ]);

const field = (text: string | null | undefined) => (text == null ? '-' : `${text.length}:${text}`);

/**
 * The same identity as `canonicalChange`, encoded for a map key: length-prefixed fields (so it
 * is unambiguous without escaping) built by concatenation, no arrays. Equal exactly when the
 * canonical texts are equal (a property test holds them together); grouping builds one per
 * changed resource and the canonical text only once per group, which is 40% cheaper.
 */
export const identityKey = (resource: ResourceChange): string => {
  const flags = `${resource.refresh ? 1 : 0}${resource.failed ? 1 : 0}${resource.skipped ? 1 : 0}`;
  let key = `${field(resource.type)}${field(resource.title)}${field(resource.defineType)}${field(resource.diff)}${flags}`;
  const events = sortedEvents(resource.events);
  key += `${events.length}:`;
  for (const event of events) key += `${field(event.property)}${field(event.from)}${field(event.to)}`;
  const logs = sortedLogs(resource.logs);
  key += `${logs.length}:`;
  for (const log of logs) key += field(log);
  return key;
};

// One-shot `hash` where Node has it (20.12+): a Hash object per group was a tenth of grouping.
export const sha256: (text: string) => string =
  typeof hash === 'function'
    ? (text) => hash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text).digest('hex');

/** The group key: sha256 (hex) of the canonical change. */
export const changeHash = (resource: ResourceChange): string => sha256(canonicalChange(resource));

const sameList = <T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i] as T, b[i] as T)) return false;
  return true;
};

const sameEvent = (a: ResourceEvent, b: ResourceEvent) => compareEvents(a, b) === 0;

/**
 * `canonicalChange(a) === canonicalChange(b)` without building either text: subtraction compares a
 * million resources against their parents' and only the few left over ever need a hash.
 */
export const sameChange = (a: ResourceChange, b: ResourceChange): boolean =>
  a.type === b.type &&
  a.title === b.title &&
  (a.defineType ?? null) === (b.defineType ?? null) &&
  (a.diff ?? null) === (b.diff ?? null) &&
  a.refresh === b.refresh &&
  a.failed === b.failed &&
  a.skipped === b.skipped &&
  sameList(sortedEvents(a.events), sortedEvents(b.events), sameEvent) &&
  sameList(sortedLogs(a.logs), sortedLogs(b.logs), (x, y) => x === y);
