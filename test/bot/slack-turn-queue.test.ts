import { describe, expect, it } from 'vitest';
import { AckWaits, TurnQueue } from '../../src/bot/slack/call.js';

/** Turns cranked by the test: `step()` runs what the queue asked to run on the next turn. */
const handTurns = () => {
  const pending: Array<() => void> = [];
  return {
    turn: (next: () => void) => void pending.push(next),
    step: () => pending.shift()?.(),
    pending: () => pending.length,
  };
};

/** A quiet-period timer fired by the test: `fire()` ends the quiet moment now. */
const handQuiet = () => {
  let armed: (() => void) | undefined;
  return {
    timer: (fire: () => void) => {
      armed = fire;
      return () => {
        armed = undefined;
      };
    },
    armed: () => armed !== undefined,
    fire: () => {
      const fire = armed;
      armed = undefined;
      fire?.();
    },
  };
};

/** Lets settled promises run their callbacks (no clock involved). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('TurnQueue', () => {
  it('starts one piece per turn, in order, and none before the first turn', async () => {
    const turns = handTurns();
    const queue = new TurnQueue(Number.POSITIVE_INFINITY, turns.turn);
    const started: number[] = [];
    const results = [1, 2, 3].map((n) =>
      queue.run(async () => {
        started.push(n);
        return n * 10;
      }),
    );
    expect(started).toEqual([]);
    turns.step();
    expect(started).toEqual([1]);
    turns.step();
    expect(started).toEqual([1, 2]);
    turns.step();
    expect(started).toEqual([1, 2, 3]);
    expect(await Promise.all(results)).toEqual([10, 20, 30]);
    expect(turns.pending()).toBe(0);
  });

  it('runs at most `limit` pieces at once; a finished piece lets the next start on a later turn', async () => {
    const turns = handTurns();
    const queue = new TurnQueue(2, turns.turn);
    const gates: Array<() => void> = [];
    const started: number[] = [];
    const runs = [1, 2, 3, 4].map((n) =>
      queue.run(
        () =>
          new Promise<number>((resolve) => {
            started.push(n);
            gates.push(() => resolve(n));
          }),
      ),
    );
    turns.step();
    turns.step();
    expect(started).toEqual([1, 2]);
    // Two run; the third waits for a place, not for a turn.
    expect(turns.pending()).toBe(0);
    gates[0]?.();
    await settle();
    expect(started).toEqual([1, 2]);
    turns.step();
    expect(started).toEqual([1, 2, 3]);
    expect(turns.pending()).toBe(0);
    gates[1]?.();
    gates[2]?.();
    await settle();
    turns.step();
    expect(started).toEqual([1, 2, 3, 4]);
    gates[3]?.();
    expect(await Promise.all(runs)).toEqual([1, 2, 3, 4]);
  });

  it('a piece that throws or rejects fails its caller only, and frees its place', async () => {
    const turns = handTurns();
    const queue = new TurnQueue(1, turns.turn);
    const thrown = queue.run(() => {
      throw new Error('thrown at once');
    });
    const rejected = queue.run(() => Promise.reject(new Error('rejected later')));
    const fine = queue.run(async () => 'fine');
    const failures = Promise.all([
      expect(thrown).rejects.toThrow('thrown at once'),
      expect(rejected).rejects.toThrow('rejected later'),
    ]);
    for (let i = 0; i < 3; i++) {
      turns.step();
      await settle();
    }
    await failures;
    expect(await fine).toBe('fine');
  });

  it('on the real event loop, other callbacks run between two pieces (what lets acks through)', async () => {
    const queue = new TurnQueue();
    const order: string[] = [];
    let ticking = true;
    const tick = () => {
      order.push('other');
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    await Promise.all([1, 2, 3].map((n) => queue.run(async () => void order.push(`piece ${n}`))));
    ticking = false;
    const at = ['piece 1', 'piece 2', 'piece 3'].map((piece) => order.indexOf(piece));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect(order.slice(at[0], at[1])).toContain('other');
    expect(order.slice(at[1], at[2])).toContain('other');
  });
});

describe('AckWaits', () => {
  it('holds work back while requests wait for their ack, and lets it go a quiet moment after the last is answered', () => {
    const turns = handTurns();
    const quiet = handQuiet();
    const waits = new AckWaits(64, turns.turn, quiet.timer, handQuiet().timer);
    const ran: string[] = [];
    const first = waits.arrived();
    const second = waits.arrived();
    waits.turn(() => ran.push('answer'));
    expect(turns.pending()).toBe(0);
    first();
    expect(turns.pending()).toBe(0);
    // Answering one request twice (close after finish) counts once.
    first();
    expect(turns.pending()).toBe(0);
    second();
    expect(turns.pending()).toBe(0);
    expect(quiet.armed()).toBe(true);
    quiet.fire();
    expect(turns.pending()).toBe(1);
    turns.step();
    expect(ran).toEqual(['answer']);
  });

  it('a burst arriving one request at a time holds the work through its gaps; an arrival restarts the quiet moment', () => {
    const turns = handTurns();
    const quiet = handQuiet();
    const waits = new AckWaits(64, turns.turn, quiet.timer, handQuiet().timer);
    const ran: number[] = [];
    waits.arrived()();
    waits.turn(() => ran.push(1));
    for (let i = 0; i < 10; i++) {
      // Between two requests nobody is waiting for an ack, but the burst is not over.
      expect(quiet.armed()).toBe(true);
      const answered = waits.arrived();
      expect(quiet.armed()).toBe(false);
      answered();
      expect(turns.pending()).toBe(0);
    }
    quiet.fire();
    turns.step();
    expect(ran).toEqual([1]);
    // Once quiet, work goes at once until the next request arrives.
    waits.turn(() => ran.push(2));
    turns.step();
    expect(ran).toEqual([1, 2]);
  });

  it('under requests that never pause, one piece goes each time the hold limit runs out', () => {
    const turns = handTurns();
    const hold = handQuiet();
    const waits = new AckWaits(64, turns.turn, handQuiet().timer, hold.timer);
    const ran: number[] = [];
    waits.arrived()();
    waits.turn(() => ran.push(1));
    waits.turn(() => ran.push(2));
    expect(hold.armed()).toBe(true);
    for (let round = 1; round <= 2; round++) {
      // Requests keep arriving closer together than the quiet moment: nothing goes on its own.
      for (let i = 0; i < 5; i++) waits.arrived()();
      expect(turns.pending()).toBe(0);
      hold.fire();
      turns.step();
      expect(ran).toEqual([1, 2].slice(0, round));
    }
    expect(hold.armed()).toBe(false);
  });

  it('runs work at once (on the next turn) when no request has come', () => {
    const turns = handTurns();
    const waits = new AckWaits(64, turns.turn, handQuiet().timer, handQuiet().timer);
    const ran: number[] = [];
    waits.turn(() => ran.push(1));
    expect(turns.pending()).toBe(1);
    turns.step();
    expect(ran).toEqual([1]);
  });

  it('under a steady stream of requests, lets one piece through every `passEvery` answered requests', () => {
    const turns = handTurns();
    const waits = new AckWaits(3, turns.turn, handQuiet().timer, handQuiet().timer);
    const ran: number[] = [];
    let open = waits.arrived();
    waits.turn(() => ran.push(1));
    waits.turn(() => ran.push(2));
    for (let i = 0; i < 3; i++) {
      const next = waits.arrived();
      open();
      open = next;
    }
    expect(turns.pending()).toBe(1);
    turns.step();
    expect(ran).toEqual([1]);
    for (let i = 0; i < 2; i++) {
      const next = waits.arrived();
      open();
      open = next;
    }
    expect(turns.pending()).toBe(0);
    const next = waits.arrived();
    open();
    open = next;
    turns.step();
    expect(ran).toEqual([1, 2]);
  });

  it('with a TurnQueue: commands queued during a burst start only once the burst is answered', async () => {
    const turns = handTurns();
    const quiet = handQuiet();
    const waits = new AckWaits(64, turns.turn, quiet.timer, handQuiet().timer);
    const queue = new TurnQueue(Number.POSITIVE_INFINITY, waits.turn);
    const answered = Array.from({ length: 5 }, () => waits.arrived());
    const started: number[] = [];
    const runs = [1, 2, 3].map((n) =>
      queue.run(async () => {
        started.push(n);
      }),
    );
    for (const done of answered.slice(0, 4)) done();
    expect(turns.pending()).toBe(0);
    answered[4]?.();
    quiet.fire();
    for (let i = 0; i < 3; i++) turns.step();
    await Promise.all(runs);
    expect(started).toEqual([1, 2, 3]);
  });
});
