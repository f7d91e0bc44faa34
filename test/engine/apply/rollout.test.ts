import { describe, expect, it } from 'vitest';
import { progressLine } from '../../../src/commands/views/apply-text.js';
import type { ApplyRecord, NodeResult, StageRecord } from '../../../src/engine/apply/records.js';
import { runRollout } from '../../../src/engine/apply/rollout.js';
import type { NodeSpec } from '../../../src/engine/ports/index.js';
import type { NormalizedReport } from '../../../src/engine/puppet/index.js';
import type { NodeRun } from '../../../src/engine/runs/puppet-on-node.js';

const spec = (name: string): NodeSpec => ({
  name,
  transport: 'local',
  host: name,
  port: 22,
  user: 'root',
  certname: name,
  workDir: `/tmp/${name}`,
});

const report = (node: string, outcome: NormalizedReport['outcome']): NormalizedReport => ({
  node,
  outcome,
  configurationVersion: null,
  resources: [],
  evalErrors:
    outcome === 'compile_error' ? [{ message: 'Evaluation Error: boom', file: 'site.pp', line: 3 }] : [],
  messages: [],
});

const record = (stages: Record<string, string[]>): ApplyRecord =>
  ({
    id: 7,
    revision: 'v2.1',
    sha: 'a'.repeat(40),
    requestedBy: 'U1',
    confirmedBy: 'U2',
    stages: Object.entries(stages).map(
      ([name, nodes]): StageRecord => ({
        name,
        status: 'pending',
        nodes: nodes.map((node) => ({ node, status: 'pending' })),
      }),
    ),
  }) as ApplyRecord;

/** A fleet whose nodes fail when named in `failing`; records the order runs started and the peak in flight. */
const fakeFleet = (failing: readonly string[] = []) => {
  const started: string[] = [];
  let inFlight = 0;
  let peak = 0;
  return {
    started,
    peak: () => peak,
    fleet: {
      async runOne(sha: string, node: NodeSpec): Promise<NodeRun> {
        started.push(node.name);
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        if (node.name === 'down')
          return {
            node: node.name,
            sha,
            reached: false,
            unreachable: true,
            error: 'connection refused',
            durationMs: 1,
          };
        const outcome = failing.includes(node.name) ? 'compile_error' : 'changes';
        return {
          node: node.name,
          sha,
          reached: true,
          report: report(node.name, outcome),
          sync: { repaired: [], sentBytes: 0 } as never,
          durationMs: 5,
        };
      },
    },
  };
};

const run = async (
  apply: ApplyRecord,
  options: {
    failing?: string[];
    threshold?: number;
    concurrency?: number;
    stop?: () => string | undefined;
    lost?: string[];
  } = {},
) => {
  const fake = fakeFleet(options.failing);
  const failures: NodeResult[] = [];
  const ended: string[] = [];
  const names = apply.stages.flatMap((stage) => stage.nodes.map((node) => node.node));
  const end = await runRollout(apply, {
    fleet: fake.fleet,
    specs: new Map(names.map((name) => [name, spec(name)])),
    clock: { now: () => 0 },
    concurrencyOf: () => options.concurrency ?? 2,
    failureThreshold: options.threshold ?? 0,
    stopReason: options.stop ?? (() => undefined),
    lockLost: (node) => (options.lost?.includes(node) ? 'its lock is no longer ours' : undefined),
    changed: () => {},
    nodeFailed: (_stage, result) => failures.push(result),
    stageEnded: (stage) => ended.push(`${stage.name}:${stage.status}`),
  });
  return { end, fake, failures, ended, line: progressLine(apply) };
};

describe('runRollout', () => {
  it('applies the stages in order with at most the concurrency at once', async () => {
    const apply = record({ canaries: ['c1'], all: ['a1', 'a2', 'a3', 'a4', 'a5'] });
    const { end, fake, ended, line } = await run(apply, { concurrency: 2 });
    expect(end).toEqual({});
    expect(fake.started[0]).toBe('c1');
    expect(fake.peak()).toBe(2);
    expect(ended).toEqual(['canaries:done', 'all:done']);
    expect(line).toBe('apply v2.1 #7 — canaries 1/1 ✓, all 5/5 ✓');
  });

  it('threshold 0: the first failure stops the rollout; nodes already running finish, later stages are not run', async () => {
    const apply = record({ canaries: ['c1', 'c2', 'c3'], all: ['a1'] });
    const { end, failures, ended, line, fake } = await run(apply, { failing: ['c1'], concurrency: 2 });
    expect(fake.started).toEqual(['c1', 'c2']);
    expect(failures.map((f) => [f.node, f.outcome, f.error])).toEqual([
      ['c1', 'compile_error', 'Evaluation Error: boom (site.pp:3)'],
    ]);
    expect(end.stoppedBy).toBe('stopped after 1 failure in canaries (the threshold is 0)');
    expect(ended).toEqual(['canaries:stopped']);
    expect(line).toBe('apply v2.1 #7 — canaries 1/3 ✓ 1 ✗, all not run');
    expect(apply.stages[1]?.nodes[0]).toMatchObject({ status: 'not_run', error: end.stoppedBy });
  });

  it('a set may have up to the threshold of failures and the rollout goes on', async () => {
    const apply = record({ canaries: ['c1', 'c2'], all: ['a1', 'down'] });
    const { end, failures, line } = await run(apply, { failing: ['c1'], threshold: 1, concurrency: 1 });
    expect(failures.map((f) => `${f.node}:${f.outcome}`)).toEqual(['c1:compile_error', 'down:unreachable']);
    expect(end).toEqual({});
    expect(line).toBe('apply v2.1 #7 — canaries 1/2 ✓ 1 ✗, all 1/2 ✓ 1 ✗');
  });

  it('a stop (cancel, shutdown) lets running nodes finish and starts no other', async () => {
    const apply = record({ all: ['a1', 'a2', 'a3'] });
    let stop: string | undefined;
    const fake = fakeFleet();
    const promise = runRollout(apply, {
      fleet: {
        runOne: async (sha, node) => {
          const result = await fake.fleet.runOne(sha, node);
          stop = 'cancelled by <@U3>';
          return result;
        },
      },
      specs: new Map(['a1', 'a2', 'a3'].map((name) => [name, spec(name)])),
      clock: { now: () => 0 },
      concurrencyOf: () => 1,
      failureThreshold: 0,
      stopReason: () => stop,
      lockLost: () => undefined,
      changed: () => {},
      nodeFailed: () => {},
      stageEnded: () => {},
    });
    const end = await promise;
    expect(end.stoppedBy).toBe('cancelled by <@U3>');
    expect(apply.stages[0]?.nodes.map((n) => n.status)).toEqual(['ok', 'not_run', 'not_run']);
  });

  it('a node whose lock was lost is skipped, not applied', async () => {
    const apply = record({ all: ['a1', 'a2'] });
    const { fake, line } = await run(apply, { lost: ['a2'] });
    expect(fake.started).toEqual(['a1']);
    expect(apply.stages[0]?.nodes[1]).toMatchObject({
      status: 'skipped',
      error: 'its lock is no longer ours',
    });
    expect(line).toBe('apply v2.1 #7 — all 1/2 ✓ 1 skipped');
  });
});
