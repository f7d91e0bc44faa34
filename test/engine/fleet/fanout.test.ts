import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { onNodes } from '../../../src/engine/fleet/fanout.js';
import type { NodeSpec } from '../../../src/engine/ports/transport.js';

const node = (name: string): NodeSpec => ({
  name,
  transport: 'local',
  host: name,
  port: 22,
  user: 'root',
  certname: name,
  workDir: '/tmp/heckler',
});
const nodes = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(node);

describe('onNodes', () => {
  it('returns one outcome per node in input order, whatever order they finish in', async () => {
    const delays: Record<string, number> = { a: 40, b: 5, c: 25, d: 0, e: 10, f: 30, g: 1 };
    const outcomes = await onNodes(
      nodes,
      async (n) => {
        await sleep(delays[n.name]);
        return n.name.toUpperCase();
      },
      { concurrency: 3 },
    );
    expect(outcomes).toEqual(nodes.map((n) => ({ node: n.name, ok: true, value: n.name.toUpperCase() })));
  });

  it('turns one node throwing into a failed outcome for that node only', async () => {
    const boom = new Error('c exploded');
    const outcomes = await onNodes(
      nodes.slice(0, 4),
      async (n) => {
        if (n.name === 'c') throw boom;
        return n.name;
      },
      { concurrency: 2 },
    );
    expect(outcomes).toEqual([
      { node: 'a', ok: true, value: 'a' },
      { node: 'b', ok: true, value: 'b' },
      { node: 'c', ok: false, error: boom },
      { node: 'd', ok: true, value: 'd' },
    ]);
  });

  it('never runs more than `concurrency` at once', async () => {
    let running = 0;
    let peak = 0;
    await onNodes(
      nodes,
      async () => {
        peak = Math.max(peak, ++running);
        await sleep(5);
        running--;
      },
      { concurrency: 2 },
    );
    expect(peak).toBe(2);
  });

  it('starts no further node once aborted; those get an error outcome', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const outcomes = await onNodes(
      nodes,
      async (n, signal) => {
        started.push(n.name);
        if (n.name === 'b') controller.abort(new Error('operator cancelled'));
        expect(signal).toBe(controller.signal);
        return n.name;
      },
      { concurrency: 1, signal: controller.signal },
    );
    expect(started).toEqual(['a', 'b']);
    expect(outcomes.slice(0, 2).every((outcome) => outcome.ok)).toBe(true);
    for (const outcome of outcomes.slice(2)) {
      expect(outcome).toMatchObject({ ok: false, error: new Error('operator cancelled') });
    }
  });

  it('handles no nodes, and refuses a nonsense concurrency', async () => {
    expect(await onNodes([], async () => 1, { concurrency: 5 })).toEqual([]);
    await expect(onNodes(nodes, async () => 1, { concurrency: 0 })).rejects.toThrow(RangeError);
  });
});
