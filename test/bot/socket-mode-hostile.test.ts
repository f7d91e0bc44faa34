import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandSpec } from '../../src/commands/types.js';
import { NOBODY } from '../support/slack-harness.js';
import { type SocketHarness, slashPayload, startSocketHarness } from '../support/slack-socket-harness.js';

/**
 * What Slack's side of the socket may do that a well-behaved exchange does not: types the bot does
 * not know, text that is not JSON, huge envelopes, a `disconnect` while a command runs, the same
 * envelope twice. The bot neither crashes nor runs anything twice, and keeps serving.
 */
let slack: SocketHarness;
let holdRuns = 0;
let release: () => void = () => undefined;
let held: Promise<void> = Promise.resolve();
let started: () => void = () => undefined;
let running: Promise<void> = Promise.resolve();
const armHold = () => {
  held = new Promise((resolve) => {
    release = resolve;
  });
  running = new Promise((resolve) => {
    started = resolve;
  });
};

/** A command that runs until the test releases it, counting its runs. */
const hold: CommandSpec = {
  name: 'hold',
  summary: 'Waits until the test releases it',
  args: [],
  flags: [],
  role: 'anyone',
  sideEffects: true,
  examples: ['hold'],
  async run(ctx) {
    holdRuns += 1;
    started();
    await held;
    await ctx.respond({ text: `held run ${holdRuns}`, blocks: [] });
  },
};

beforeAll(async () => {
  slack = await startSocketHarness('socket-mode-hostile', { commands: [hold] });
});

afterAll(async () => {
  await slack?.stop();
});

/** The bot still answers a command, on whichever connection is current. */
const stillServes = async () => {
  const { ack, id } = slack.slash(NOBODY, 'whoami');
  await ack;
  expect(JSON.stringify((await slack.answer(id)).body)).toContain(`<@${NOBODY}>`);
  expect(slack.app.surface.connected()).toBe(true);
};

describe('what the bot does not understand', () => {
  it('ignores text that is not JSON, binary frames and JSON that is not an envelope', async () => {
    const calls = slack.fake.calls.length;
    const acks = slack.socket.acks.length;
    slack.socket.sendRaw('{"envelope_id": "x", "type": "slash_commands", "payload": {');
    slack.socket.sendRaw('null');
    slack.socket.sendRaw('"just a string"');
    slack.socket.sendRaw('[1, 2, 3]');
    // Slack sends text frames only; a binary one (even holding a slash command) is not read.
    slack.socket.current?.socket.send(
      Buffer.from(JSON.stringify({ type: 'slash_commands', envelope_id: 'b1' })),
    );
    await stillServes();
    // Only the whoami: nothing was acked or called for the junk.
    expect(slack.socket.acks.length).toBe(acks + 1);
    expect(slack.fake.calls.length).toBe(calls);
    expect(slack.socket.unexpected).toEqual([]);
  });

  it('drops, and logs without their text, frames the Socket Mode client would crash on', async () => {
    const calls = slack.fake.calls.length;
    const acks = slack.socket.acks.length;
    // Each of these is an unhandled rejection inside @slack/socket-mode unguarded, which ends Node.
    slack.socket.sendRaw('{"envelope_id":"e1","type":"events_api","payload":{}}');
    slack.socket.sendRaw('{"envelope_id":"e2","type":"events_api"}');
    slack.socket.sendRaw('{"envelope_id":"e3","type":"events_api","payload":{"event":null}}');
    await stillServes();
    expect(slack.socket.acks.length).toBe(acks + 1);
    expect(slack.fake.calls.length).toBe(calls);
    const ignored = slack.log.lines.filter((line) => line.includes('ignored a socket mode message'));
    expect(ignored.length).toBeGreaterThanOrEqual(3 + 4);
    expect(ignored.join('\n')).not.toContain('"e1"');
  });

  it('acks and runs nothing for an envelope type it does not know', async () => {
    const calls = slack.fake.calls.length;
    const unknown = slack.socket.send('flux_capacitor', { type: 'flux_capacitor', gigawatts: 1.21 });
    await stillServes();
    // Bolt could not tell what it is and called no listener; no ack, so Slack would try again.
    expect(slack.socket.acksOf(unknown.envelope.envelope_id)).toEqual([]);
    expect(slack.fake.calls.length).toBe(calls);
    expect(slack.log.text()).toContain('Could not determine the type of an incoming event');
  });

  it('answers a 2 MB slash command with "too long" instead of running it, and keeps serving', async () => {
    const { ack, id } = slack.slash(NOBODY, `whoami ${'x'.repeat(2 * 1024 * 1024)}`);
    await ack;
    const answer = await slack.answer(id);
    expect(answer.body.text).toMatch(/command is too long \(2097159 characters; the limit is 4000\)/);
    // The answer does not echo the text back.
    expect(JSON.stringify(answer.body).length).toBeLessThan(10_000);
    await stillServes();
  });

  it('survives an 8 MB envelope of nothing it knows', async () => {
    const junk = { type: 'block_suggestion_of_doom', blob: 'y'.repeat(8 * 1024 * 1024) };
    const sent = slack.socket.send('interactive', junk);
    await stillServes();
    expect(slack.socket.acksOf(sent.envelope.envelope_id)).toEqual([]);
  });
});

describe('the same envelope twice', () => {
  it('acks a replayed slash command again but runs it once', async () => {
    armHold();
    const { envelope, ack, id } = slack.slash(NOBODY, 'hold');
    await ack;
    await running;
    const before = holdRuns;
    const again = await slack.socket.replay(envelope);
    // Slack needs its ack either way, or it keeps resending.
    expect(again.envelope_id).toBe(envelope.envelope_id);
    release();
    expect((await slack.answer(id)).body.text).toBe(`held run ${before}`);
    await stillServes();
    expect(holdRuns).toBe(before);
    expect(slack.fake.responsesTo(id)).toHaveLength(1);
    expect(slack.log.text()).toContain('dropped duplicate slack delivery');
  });

  it('runs a button click once when its envelope arrives twice', async () => {
    const { id: helpId } = slack.slash(NOBODY, 'help');
    const blocks = (await slack.answer(helpId)).body.blocks as {
      elements?: { action_id: string; value: string }[];
    }[];
    const button = blocks.flatMap((b) => b.elements ?? []).find((e) => e.value === 'help whoami');
    const click = slack.click({ user: NOBODY, button: button!, blocks });
    await click.ack;
    await slack.socket.replay(click.envelope);
    await slack.answer(click.id);
    await stillServes();
    expect(slack.fake.responsesTo(click.id)).toHaveLength(1);
  });
});

describe('disconnects', () => {
  it('reconnects after refresh_requested through a new apps.connections.open, and serves on the new socket', async () => {
    const opens = slack.fake.callsTo('apps.connections.open').length;
    const hellos = slack.socket.helloCount;
    const old = slack.socket.disconnect('refresh_requested');
    // The client closes the old socket itself (a normal closure), then asks for a new URL.
    expect(await old.closed).toBe(1000);
    const fresh = await slack.socket.waitForHello(hellos + 1);
    expect(slack.fake.callsTo('apps.connections.open')).toHaveLength(opens + 1);
    expect(slack.socket.refused).toEqual([]);
    const { ack } = slack.slash(NOBODY, 'whoami');
    expect((await ack).connection).toBe(fresh.id);
    await stillServes();
  });

  it('finishes a command acked before a disconnect once, and drops its redelivery on the new socket', async () => {
    armHold();
    const before = holdRuns;
    const { envelope, ack, id } = slack.slash(NOBODY, 'hold');
    await ack;
    await running;
    const hellos = slack.socket.helloCount;
    await slack.socket.disconnect('link_disabled').closed;
    await slack.socket.waitForHello(hellos + 1);
    // Slack redelivers what it is unsure of on the new connection.
    const again = await slack.socket.replay(envelope);
    expect(again.connection).toBe(slack.socket.current?.id);
    release();
    expect((await slack.answer(id)).body.text).toBe(`held run ${before + 1}`);
    await stillServes();
    expect(holdRuns).toBe(before + 1);
    expect(slack.fake.responsesTo(id)).toHaveLength(1);
  });

  it('survives the socket dropping before its ack, reconnects, and runs the redelivery once', async () => {
    const hellos = slack.socket.helloCount;
    const before = holdRuns;
    armHold();
    const id = slack.nextResponseId();
    const payload = slashPayload({ user: NOBODY, text: 'hold', responseUrl: slack.fake.responseUrl(id) });
    const connection = slack.socket.current!;
    const lost = slack.socket.send('slash_commands', payload);
    // Dropped without a close frame, as a dead network path would.
    connection.socket.terminate();
    await slack.socket.waitForHello(hellos + 1);
    const again = slack.socket.send('slash_commands', payload, { envelope_id: lost.envelope.envelope_id });
    await again.ack;
    release();
    await slack.answer(id);
    await stillServes();
    // At most one run of the command whose first ack may or may not have got through.
    expect(holdRuns - before).toBe(1);
    expect(slack.fake.responsesTo(id)).toHaveLength(1);
  });
});

describe('stopping', () => {
  it('closes the socket with a normal closure and asks for no new one', async () => {
    const connection = slack.socket.current!;
    const opens = slack.fake.callsTo('apps.connections.open').length;
    await slack.app.stop();
    expect(await connection.closed).toBe(1000);
    expect(slack.app.surface.connected()).toBe(false);
    await slack.app.surface.ended;
    expect(slack.fake.callsTo('apps.connections.open')).toHaveLength(opens);
    expect(slack.socket.current).toBeUndefined();
  });
});
