import type { IgnoreRule } from '../../../src/engine/delta/group.js';
import type { NodeDelta } from '../../../src/engine/delta/subtract.js';
import { interpretExec } from '../../../src/engine/puppet/command.js';
import { normalizeReport, normalizeRun } from '../../../src/engine/puppet/normalize.js';
import type { NormalizedReport, ResourceChange } from '../../../src/engine/puppet/types.js';
import { contextOf, execResultOf, loadReduced, loadRun } from '../puppet/fixtures.js';

/** A real captured report (test/fixtures/puppet/reduced/NAME.json), normalized as the engine does. */
export const fixtureReport = (name: string, node = 'node1'): NormalizedReport => {
  const result = normalizeReport(loadReduced(name), { node, checkout: '/data/heckler/checkout' });
  if (!result.ok) throw new Error(`fixture ${name}: ${result.error.message}`);
  return result.report;
};

/** A real captured run without a report (a compile error), through interpretExec and normalizeRun. */
export const fixtureRun = (name: string): NormalizedReport => {
  const captured = loadRun(name);
  return normalizeRun(interpretExec(execResultOf(captured), captured.nonce), contextOf(captured));
};

/** One resource out of a real report, by `Type[title]`. */
export const fixtureChange = (report: string, ref: string): ResourceChange => {
  const found = fixtureReport(report).resources.find((r) => `${r.type}[${r.title}]` === ref);
  if (!found) throw new Error(`fixture ${report} has no ${ref}`);
  return found;
};

/** Real changes from the fixture repo's reports. */
export const real = {
  /** motdChange noop'd at `initial`: the motd gains "Be kind". */
  motd: () => fixtureChange('noop-file-diff', 'File[/data/motd]'),
  /** v2 on node1 / node2: the same file, node-specific diffs. */
  motdNode1: () => fixtureChange('noop-v2-node1', 'File[/data/motd]'),
  motdNode2: () => fixtureChange('noop-v2-node2', 'File[/data/motd]'),
  /** feature/x: workers 2→4, and the refresh it triggers (declared at line 12). */
  appConf: () => fixtureChange('noop-refresh', 'File[/data/webapp/app.conf]'),
  reload: () => fixtureChange('noop-refresh', 'Exec[reload webapp]'),
  /** The same exec, declared two lines higher in a later commit. */
  reloadMoved: () => fixtureChange('apply-failure', 'Exec[reload webapp]'),
  /** In a defined type: `Webapp::Vhost[main]`. */
  vhost: () => fixtureChange('apply-failure', 'File[/data/webapp/vhost-main.conf]'),
  failedNotes: () => fixtureChange('apply-failure', 'File[/data/missing/dir/notes]'),
};

export const change = (
  fields: Partial<ResourceChange> & Pick<ResourceChange, 'type' | 'title'>,
): ResourceChange => ({
  events: [],
  refresh: false,
  failed: false,
  skipped: false,
  logs: [],
  ...fields,
});

export const report = (
  resources: ResourceChange[],
  fields: Partial<NormalizedReport> = {},
): NormalizedReport => ({
  node: 'node1',
  outcome: resources.length > 0 ? 'changes' : 'unchanged',
  configurationVersion: '1',
  resources,
  evalErrors: [],
  messages: [],
  ...fields,
});

export const delta = (
  node: string,
  resources: ResourceChange[],
  fields: Partial<NodeDelta> = {},
): NodeDelta => ({
  node,
  kind: resources.length > 0 ? 'changes' : 'unchanged',
  resources,
  evalErrors: [],
  parentErrors: [],
  ...fields,
});

/** A change people agreed to ignore, and the rule that says so. */
export const cache = change({
  type: 'File',
  title: '/var/cache/app/index',
  events: [{ property: 'mtime', from: '1', to: '2' }],
});
export const cacheRule: IgnoreRule = {
  type: 'File',
  titlePattern: '^/var/cache/',
  purpose: 'caches',
  rationale: 'rebuilt',
};

/** A small deterministic PRNG (mulberry32) for property tests: the same cases on every run. */
export const random = (seed: number) => {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (below: number) => Math.floor(next() * below),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
};
