import { describe, expect, it } from 'vitest';
import { bounded, lockKind } from '../../src/adapters/metrics/labels.js';
import { createPrometheusMetrics } from '../../src/adapters/metrics/prometheus.js';
import { labelValues, parseExposition, sampleValue } from './exposition.js';

const make = (
  extra: Parameters<typeof createPrometheusMetrics>[0] extends infer O ? Partial<O> : never = {},
) =>
  createPrometheusMetrics({
    commands: ['help', 'noop'],
    nodes: ['web1', 'web2'],
    processMetrics: false,
    ...extra,
  });

const scrape = async (metrics: ReturnType<typeof make>) => parseExposition((await metrics.scrape()).body);

describe('label values come from known sets', () => {
  it.each([
    ['help', 'help'],
    ['noop', 'noop'],
    ['<!channel> rm -rf', 'unknown'],
    ['', 'unknown'],
    ['HELP', 'unknown'],
  ])('command %j → %s', (value, expected) => {
    expect(bounded(value, ['help', 'noop', 'unknown'], 'unknown')).toBe(expected);
  });

  it.each([
    ['node:web1', 'node'],
    ['leader:scheduler', 'leader'],
    ['apply-id', 'apply-id'],
    ['run:web2', 'run'],
    ['Evil"}\nx 1', 'other'],
    [`${'a'.repeat(40)}:x`, 'other'],
    ['', 'other'],
  ])('lock key %j → kind %s', (key, kind) => {
    expect(lockKind(key)).toBe(kind);
  });
});

describe('the Prometheus adapter', () => {
  it('counts commands by name and outcome; text a user typed never becomes a label', async () => {
    const metrics = make();
    metrics.commandHandled('help', 'ok');
    metrics.commandHandled('help', 'ok');
    metrics.commandHandled('noop', 'denied');
    metrics.commandHandled('deploy prod; rm -rf /', 'usage');
    metrics.commandHandled('help', 'weird' as never);
    const samples = await scrape(metrics);
    expect(sampleValue(samples, 'heckler_commands_total', { command: 'help', outcome: 'ok' })).toBe(2);
    expect(sampleValue(samples, 'heckler_commands_total', { command: 'noop', outcome: 'denied' })).toBe(1);
    expect(sampleValue(samples, 'heckler_commands_total', { command: 'unknown', outcome: 'usage' })).toBe(1);
    expect(sampleValue(samples, 'heckler_commands_total', { command: 'help', outcome: 'error' })).toBe(1);
    expect(labelValues(samples, 'heckler_commands_total', 'command').sort()).toEqual([
      'help',
      'noop',
      'unknown',
    ]);
  });

  it('times node runs per node and counts outcomes; a node not in the config is `other`', async () => {
    const metrics = make();
    metrics.nodeRun('web1', 'noop', 'changes', 1_500);
    metrics.nodeRun('web1', 'noop', 'unchanged', 700);
    metrics.nodeRun('web2', 'apply', 'failed', 40_000);
    metrics.nodeRun('attacker.example', 'apply', 'some error text', 10);
    const samples = await scrape(metrics);
    expect(sampleValue(samples, 'heckler_node_run_seconds_count', { node: 'web1', mode: 'noop' })).toBe(2);
    expect(sampleValue(samples, 'heckler_node_run_seconds_sum', { node: 'web1', mode: 'noop' })).toBeCloseTo(
      2.2,
    );
    expect(
      sampleValue(samples, 'heckler_node_run_seconds_bucket', { node: 'web1', mode: 'noop', le: '1' }),
    ).toBe(1);
    expect(sampleValue(samples, 'heckler_node_run_seconds_count', { node: 'other', mode: 'apply' })).toBe(1);
    expect(sampleValue(samples, 'heckler_node_runs_total', { mode: 'noop', outcome: 'changes' })).toBe(1);
    expect(sampleValue(samples, 'heckler_node_runs_total', { mode: 'apply', outcome: 'failed' })).toBe(2);
    expect(labelValues(samples, 'heckler_node_run_seconds_count', 'node').sort()).toEqual([
      'other',
      'web1',
      'web2',
    ]);
  });

  it('starts decision and apply counters at zero and ignores values outside their sets', async () => {
    const metrics = make();
    metrics.reviewDecision('approve');
    metrics.reviewDecision('ignore');
    metrics.applyFinished('passed');
    metrics.applyFinished('running');
    const samples = await scrape(metrics);
    expect(sampleValue(samples, 'heckler_review_decisions_total', { decision: 'approve' })).toBe(1);
    expect(sampleValue(samples, 'heckler_review_decisions_total', { decision: 'deny' })).toBe(0);
    expect(labelValues(samples, 'heckler_review_decisions_total', 'decision')).not.toContain('ignore');
    expect(sampleValue(samples, 'heckler_applies_total', { status: 'passed' })).toBe(1);
    expect(labelValues(samples, 'heckler_applies_total', 'status')).not.toContain('running');
  });

  it('reads locks and the build queue when scraped', async () => {
    let locks = [
      { key: 'node:web1', owner: 'U1', reason: 'r', since: 0, expiresAt: 1 },
      { key: 'node:web2', owner: 'U1', reason: 'r', since: 0, expiresAt: 1 },
      { key: 'leader:scheduler', owner: 'bot', reason: 'r', since: 0, expiresAt: 1 },
    ];
    let queued = 3;
    const metrics = make({ locks: async () => locks, buildQueueLength: async () => queued });
    let samples = await scrape(metrics);
    expect(sampleValue(samples, 'heckler_locks_held', { kind: 'node' })).toBe(2);
    expect(sampleValue(samples, 'heckler_locks_held', { kind: 'leader' })).toBe(1);
    expect(sampleValue(samples, 'heckler_build_queue_length')).toBe(3);
    locks = [];
    queued = 0;
    samples = await scrape(metrics);
    // A kind with no lock left is gone, not stuck at its last count.
    expect(labelValues(samples, 'heckler_locks_held', 'kind')).toEqual([]);
    expect(sampleValue(samples, 'heckler_build_queue_length')).toBe(0);
  });

  it('still answers when a gauge cannot be read: that gauge has no value, the counters are there', async () => {
    const metrics = make({
      locks: async () => {
        throw new Error('redis is down');
      },
      buildQueueLength: async () => {
        throw new Error('redis is down');
      },
    });
    metrics.commandHandled('help', 'ok');
    const samples = await scrape(metrics);
    expect(sampleValue(samples, 'heckler_commands_total', { command: 'help', outcome: 'ok' })).toBe(1);
    expect(samples.filter((s) => s.name === 'heckler_locks_held')).toEqual([]);
    expect(sampleValue(samples, 'heckler_build_queue_length')).toBeNaN();
  });

  it('keeps two registries apart (two bots in one process)', async () => {
    const one = make();
    const two = make();
    one.commandHandled('help', 'ok');
    expect(sampleValue(await scrape(two), 'heckler_commands_total', { command: 'help', outcome: 'ok' })).toBe(
      0,
    );
  });

  it('times acks and build waits in seconds', async () => {
    const metrics = make();
    metrics.ackSent(30);
    metrics.buildStarted(90_000);
    metrics.buildStarted(-5);
    const samples = await scrape(metrics);
    expect(sampleValue(samples, 'heckler_ack_latency_seconds_bucket', { le: '0.05' })).toBe(1);
    expect(sampleValue(samples, 'heckler_ack_latency_seconds_bucket', { le: '0.025' })).toBe(0);
    expect(sampleValue(samples, 'heckler_build_wait_seconds_sum')).toBe(90);
    expect(sampleValue(samples, 'heckler_build_wait_seconds_count')).toBe(2);
  });
});
