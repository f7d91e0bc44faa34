import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlackApi } from '../fakes/slack-api.js';
import {
  BODY_MARKER,
  HOSTILE_KINDS,
  type HostileKind,
  type HostileRequest,
  openHostile,
} from '../support/slack-attack.js';
import { sendSigned, slashCommandBody } from '../support/slack-signing.js';

/**
 * The bot's HTTP endpoint under 200 hostile requests at once — slow ones (a byte a second) and
 * 5 MB ones, none validly signed — in a process of its own, so its memory is measured alone.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;
const HOSTILE = 200;

let fake: FakeSlackApi;
let bot: ChildProcess;
let port: number;
const logLines: string[] = [];

/** Resident and peak resident memory of the bot process, in bytes. */
const memory = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
};
/** Starts measuring the peak afresh from the current RSS (Linux: clear_refs 5). */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

const url = () => `http://127.0.0.1:${port}/slack/events`;
let answers = 0;
const signedHelp = async () => {
  const id = `H${++answers}`;
  const body = slashCommandBody({ user: 'U0NOBODY', text: 'help', responseUrl: fake.responseUrl(id) });
  const response = await sendSigned(url(), body);
  return { status: response.status, answer: fake.waitForResponse(id, () => true, 15_000) };
};

beforeAll(async () => {
  fake = await FakeSlackApi.start({ tokens: ['xoxb-test-token'] });
  bot = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/support/slack-bot-process.ts')], {
    cwd: root,
    env: { ...process.env, HECKLER_TEST_SLACK_API: fake.apiUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: bot.stderr! }).on('line', (line) => logLines.push(line));
  const [first] = (await once(createInterface({ input: bot.stdout! }), 'line')) as [string];
  port = (JSON.parse(first) as { port: number }).port;
}, 60_000);

afterAll(async () => {
  if (bot && bot.exitCode === null) {
    bot.kill('SIGTERM');
    await once(bot, 'exit');
  }
  await fake?.stop();
});

describe('the Slack endpoint under hostile requests', () => {
  it('keeps memory flat, answers each kind with its status, logs each kind once, and still serves a signed command', async () => {
    const pid = bot.pid!;
    // The first commands load and compile what a command needs; the baseline is the peak of the
    // next ten (steady use: its garbage comes and goes with the collector).
    const helps = async (n: number) => {
      for (let i = 0; i < n; i += 1) {
        const { status, answer } = await signedHelp();
        expect(status).toBe(200);
        await answer;
      }
    };
    await helps(3);
    resetPeak(pid);
    await helps(10);
    const baseline = memory(pid).peak;
    const atStart = memory(pid).rss;
    resetPeak(pid);

    const hostile: HostileRequest[] = Array.from({ length: HOSTILE }, (_, i) =>
      openHostile(HOSTILE_KINDS[i % HOSTILE_KINDS.length] as HostileKind, port),
    );
    await Promise.all(hostile.map((h) => h.opened));

    // While the slow ones are still open, a signed command is acknowledged and answered.
    const { status, answer } = await signedHelp();
    expect(status).toBe(200);
    expect(JSON.stringify((await answer).body)).toContain('/heckler whoami');
    const slow = hostile.filter((h) => h.kind === 'slow-headers' || h.kind === 'forged-slow');
    expect(slow.filter((h) => h.done())).toEqual([]);

    const statuses = await Promise.all(hostile.map((h) => h.answered));
    const peak = memory(pid).peak;
    const grew = (peak - baseline) / MiB;
    console.log(
      `bot RSS: peak ${(baseline / MiB).toFixed(1)} MiB in steady use, ${(atStart / MiB).toFixed(1)} MiB when the attack began, peak under attack ${(peak / MiB).toFixed(1)} MiB`,
    );

    const byKind = new Map<HostileKind, (number | undefined)[]>();
    for (const [i, h] of hostile.entries()) byKind.set(h.kind, [...(byKind.get(h.kind) ?? []), statuses[i]]);
    console.log(
      'statuses by kind:',
      JSON.stringify(Object.fromEntries([...byKind].map(([kind, got]) => [kind, [...new Set(got)]]))),
    );
    const expected: Record<HostileKind, number> = {
      'slow-headers': 408,
      'unsigned-big': 401,
      'malformed-slow': 401,
      'forged-slow': 408,
      'forged-big': 413,
      'forged-chunked': 413,
    };
    for (const kind of HOSTILE_KINDS) {
      expect({ kind, statuses: [...new Set(byKind.get(kind))] }).toEqual({
        kind,
        statuses: [expected[kind]],
      });
    }
    expect(grew).toBeLessThan(32);

    // One line per kind of refusal, none carrying any of a body.
    const refusals = logLines
      .filter((line) => line.includes('refused slack request'))
      .map((line) => JSON.parse(line) as { kind: string; status: number });
    const kinds = refusals.map((r) => r.kind).sort();
    expect(kinds).toEqual([...new Set(kinds)]);
    expect(new Set(refusals.map((r) => r.status))).toEqual(new Set([401, 408, 413]));
    expect(logLines.join('\n')).not.toContain(BODY_MARKER);
  }, 90_000);
});
