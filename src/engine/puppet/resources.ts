import type { ReducedEvent, ReducedLog, ReducedStatus } from './report-schema.js';
import { cleanDiff, cleanText, isDiff, isNoise, isRefresh, relativePath, type TextContext } from './text.js';
import type { ResourceChange, ResourceEvent } from './types.js';

/** A resource change being built, plus what its logs are checked against. */
export interface Draft {
  change: ResourceChange;
  /** Messages of its noop/success events: the logs repeating them add nothing to the events. */
  repeats: Set<string>;
}

export type Unattached = ReducedLog;

export const draftOf = (status: ReducedStatus, text: TextContext): Draft => {
  const defineType = nearestDefine(status.containment_path);
  const events: ResourceEvent[] = status.events
    .filter((event) => !isRefreshEvent(event))
    .map((event) => ({
      property: event.property ?? event.name ?? '',
      from: event.previous_value === null ? null : cleanText(event.previous_value, text),
      to: event.desired_value === null ? null : cleanText(event.desired_value, text),
    }))
    .sort((a, b) => (a.property < b.property ? -1 : a.property > b.property ? 1 : 0));
  const repeats = new Set(
    status.events.flatMap((event) =>
      event.message !== null && (event.status === 'noop' || event.status === 'success')
        ? [event.message]
        : [],
    ),
  );
  const change: ResourceChange = {
    type: status.type,
    title: status.title,
    ...(defineType === undefined ? {} : { defineType }),
    ...(status.file === null ? {} : { file: relativePath(status.file, text) }),
    ...(status.line === null ? {} : { line: status.line }),
    events,
    refresh: status.events.some(isRefreshEvent),
    failed: status.failed || status.failed_to_restart,
    skipped: status.skipped,
    logs: [],
  };
  return { change, repeats };
};

/** In an apply, a refresh is an event without a property: `Triggered 'refresh' from 1 event`. */
const isRefreshEvent = (event: ReducedEvent) =>
  event.property === null && (event.name === 'refresh' || isRefresh(event.message ?? ''));

/**
 * `Stage[main]`, the class `Webapp`, `Webapp::Vhost[main]`, `File[/x]`: the last bracketed entry
 * before the resource itself that is not a stage or node is the defined type instance.
 */
const nearestDefine = (containment: readonly string[]): string | undefined => {
  for (let index = containment.length - 2; index >= 0; index--) {
    const entry = containment[index] as string;
    if (/^[A-Z][\w:]*\[[\s\S]*\]$/.test(entry) && !/^(?:Stage|Node|Class)\[/.test(entry)) return entry;
  }
  return undefined;
};

/**
 * Hands each log to the resource it is about (its `source` is the resource's path, or that path
 * plus `/property`): diffs become `diff`, refresh notices `refresh`, repeats of events vanish, the
 * rest are the resource's logs. Returns the logs about no resource.
 */
export const attachLogs = (logs: readonly ReducedLog[], drafts: Map<string, Draft>, text: TextContext) => {
  const unattached: Unattached[] = [];
  for (const log of logs) {
    const path = resourcePathOf(log.source, drafts);
    const draft = path === undefined ? undefined : drafts.get(path);
    if (path === undefined || draft === undefined) {
      unattached.push(log);
      continue;
    }
    const { change } = draft;
    const property = log.source.length > path.length ? log.source.slice(path.length + 1) : undefined;
    if (property === 'content' && change.diff === undefined && isDiff(log.message)) {
      change.diff = cleanDiff(log.message, text);
    } else if (isRefresh(log.message)) {
      change.refresh = true;
    } else if (!draft.repeats.has(log.message) && !isNoise(log.message)) {
      const line = `${levelPrefix(log.level)}${cleanText(log.message, text)}`;
      if (!change.logs.includes(line)) change.logs.push(line);
    }
  }
  return unattached;
};

const resourcePathOf = (source: string, drafts: Map<string, Draft>): string | undefined => {
  if (drafts.has(source)) return source;
  // A property log: `/Stage[main]/Motd/File[/data/motd]/content`. Property names have no slash or bracket.
  const parent = source.replace(/\/[^/[\]]+$/, '');
  return parent !== source && drafts.has(parent) ? parent : undefined;
};

const levelPrefix = (level: string) =>
  level === 'warning' ? 'Warning: ' : ['err', 'alert', 'emerg', 'crit'].includes(level) ? 'Error: ' : '';
