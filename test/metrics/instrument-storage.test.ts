import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instrumentStorage } from '../../src/adapters/metrics/instrument-storage.js';
import type { Metrics } from '../../src/engine/ports/metrics.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';

/** Every call the decorator makes, in order. */
const recorder = () => {
  const calls: string[] = [];
  const metrics: Metrics = {
    commandHandled: (c, o) => calls.push(`command ${c} ${o}`),
    ackSent: () => calls.push('ack'),
    nodeRun: (n, m, o) => calls.push(`run ${n} ${m} ${o}`),
    reviewDecision: (a) => calls.push(`decision ${a}`),
    applyFinished: (s) => calls.push(`apply ${s}`),
    buildStarted: (ms) => calls.push(`build waited ${ms}`),
    storeError: (ns, op) => calls.push(`error ${ns} ${op}`),
  };
  return { calls, metrics };
};

let dir: string;
let storage: Storage;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heckler-instrument-'));
  storage = await createStorage({ dataDir: dir, keyPrefix: 'instr' });
});

afterEach(async () => {
  await storage.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('the counting storage decorator', () => {
  it('counts one decision per audit entry written, whatever its action', async () => {
    const { calls, metrics } = recorder();
    const audit = instrumentStorage(storage, metrics).store<{ action: string }>('audit');
    await audit.set('1', { action: 'approve' });
    await audit.set('2', { action: 'deny' });
    await audit.set('3', { action: 'auto_approve' });
    expect(calls).toEqual(['decision approve', 'decision deny', 'decision auto_approve']);
    // The write itself happened, unchanged.
    expect(await storage.store('audit').get('2')).toEqual({ action: 'deny' });
  });

  it('counts an apply once when it ends, not again when its finished record is written again', async () => {
    const { calls, metrics } = recorder();
    const applies = instrumentStorage(storage, metrics).store<{ status: string; note?: string }>('applies');
    await applies.set('7', { status: 'planned' });
    await applies.set('7', { status: 'running' });
    await applies.set('7', { status: 'passed' });
    await applies.set('7', { status: 'passed', note: 'message updated' });
    await applies.set('8', { status: 'expired' });
    expect(calls).toEqual(['apply passed', 'apply expired']);
  });

  it('counts an apply ended through update (compare-and-set) once', async () => {
    const { calls, metrics } = recorder();
    const applies = instrumentStorage(storage, metrics).store<{ status: string }>('applies');
    await applies.set('9', { status: 'running' });
    await applies.update('9', () => ({ status: 'failed' }));
    await applies.update('9', (current) => current);
    expect(calls).toEqual(['apply failed']);
  });

  it('times a build from queued to running, once', async () => {
    const { calls, metrics } = recorder();
    const builds = instrumentStorage(storage, metrics).store<{ status: string; waitMs: number | null }>(
      'builds',
    );
    await builds.set('1', { status: 'queued', waitMs: null });
    await builds.set('1', { status: 'running', waitMs: 4_000 });
    await builds.set('1', { status: 'running', waitMs: 4_000 });
    await builds.set('1', { status: 'passed', waitMs: 4_000 });
    expect(calls).toEqual(['build waited 4000']);
  });

  it('counts failed operations by namespace and operation, and passes the error on', async () => {
    const { calls, metrics } = recorder();
    const counted = instrumentStorage(storage, metrics);
    const reviews = counted.store<number>('reviews');
    await storage.close();
    await expect(reviews.get('x')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(reviews.set('x', 1)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(
      (async () => {
        for await (const _ of reviews.entries()) return;
      })(),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(counted.locks.list()).rejects.toThrow();
    expect(calls).toEqual([
      'error reviews get',
      'error reviews set',
      'error reviews entries',
      'error locks list',
    ]);
  });

  it('gives the same store for the same namespace, and held locks that still renew and release', async () => {
    const { calls, metrics } = recorder();
    const counted = instrumentStorage(storage, metrics);
    expect(counted.store('a')).toBe(counted.store('a'));
    expect(counted.kind).toBe('embedded');
    const taken = await counted.locks.acquire('node:web1', { owner: 'U1', reason: 'test', ttlMs: 60_000 });
    if (!taken.ok) throw new Error('lock not taken');
    expect(await counted.locks.list()).toHaveLength(1);
    expect(await taken.lock.renew(60_000)).toBe(true);
    expect(await taken.lock.release()).toBe(true);
    expect(await storage.locks.list()).toEqual([]);
    expect(calls).toEqual([]);
  });
});
