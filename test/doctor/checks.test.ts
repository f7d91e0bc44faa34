import { describe, expect, it } from 'vitest';
import {
  type CheckResult,
  type PlannedCheck,
  planChecks,
  redact,
  renderLine,
  renderReport,
  runChecks,
} from '../../src/doctor/checks.js';

const none = { repo: false, nodes: [], dockerHosts: [], slackToken: false, githubToken: false };

describe('which checks apply', () => {
  it.each<[string, Parameters<typeof planChecks>[0], PlannedCheck[]]>([
    ['nothing configured: the config and the store', none, [{ kind: 'config' }, { kind: 'store' }]],
    [
      'a repo and two nodes',
      { ...none, repo: true, nodes: ['web1', 'web2'] },
      [
        { kind: 'config' },
        { kind: 'store' },
        { kind: 'mirror' },
        { kind: 'node', node: 'web1' },
        { kind: 'node', node: 'web2' },
      ],
    ],
    [
      'builds, Slack and GitHub',
      { ...none, dockerHosts: ['unix:///var/run/docker.sock'], slackToken: true, githubToken: true },
      [
        { kind: 'config' },
        { kind: 'store' },
        { kind: 'docker', host: 'unix:///var/run/docker.sock' },
        { kind: 'slack' },
        { kind: 'github' },
      ],
    ],
  ])('%s', (_, facts, plan) => {
    expect(planChecks(facts)).toEqual(plan);
  });
});

describe('the report', () => {
  const ok: CheckResult = { subject: 'web1', check: 'git', ok: true, found: 'git version 2.39.5' };
  const bad: CheckResult = {
    subject: 'web2',
    check: 'puppet',
    ok: false,
    found: "'puppet --version' printed no version",
    advice: 'install Puppet or OpenVox on web2',
  };

  it.each<[string, CheckResult, string]>([
    ['a passed check: what was found', ok, 'ok   web1: git: git version 2.39.5'],
    [
      'a failed check: what was found and what to do',
      bad,
      "FAIL web2: puppet: 'puppet --version' printed no version -> install Puppet or OpenVox on web2",
    ],
    [
      'node output with escapes and newlines stays on one line',
      { subject: 'web3', check: 'git', ok: true, found: 'git\u001b[31m version\nINJECTED ok' },
      'ok   web3: git: git [31m version INJECTED ok',
    ],
  ])('%s', (_, result, line) => {
    expect(renderLine(result)).toBe(line);
  });

  it('ends with a summary and never shows a secret', () => {
    const leaky: CheckResult = {
      subject: 'store',
      check: 'read and write',
      ok: false,
      found: 'connect to redis://:hunter2secret@10.0.0.5:6379 failed',
      advice: 'check REDIS_URL (redis://:hunter2secret@10.0.0.5:6379)',
    };
    const report = renderReport([ok, leaky], ['hunter2secret', 'xoxb-1']);
    expect(report).not.toContain('hunter2secret');
    expect(report.split('\n')).toEqual([
      'ok   web1: git: git version 2.39.5',
      'FAIL store: read and write: connect to redis://:***@10.0.0.5:6379 failed -> check REDIS_URL (redis://:***@10.0.0.5:6379)',
      '1 of 2 checks failed',
    ]);
    expect(renderReport([ok])).toBe('ok   web1: git: git version 2.39.5\nall 1 checks passed');
  });

  it.each([
    ['abc', ['abc'], 'abc'],
    ['token xoxb-123 here', ['xoxb-123'], 'token *** here'],
    ['a\r\nb', [], 'a b'],
  ])('redact(%j)', (text, secrets, out) => {
    expect(redact(text, secrets)).toBe(out);
  });
});

describe('running the checks', () => {
  it('runs every check although one throws, and keeps the plan order', async () => {
    const plan = planChecks({ ...none, nodes: ['a', 'b', 'c'] });
    const results = await runChecks(
      plan,
      async (check) => {
        if (check.kind === 'node' && check.node === 'b') throw new Error('ssh exploded');
        const subject = check.kind === 'node' ? check.node : check.kind;
        return [{ subject, check: 'x', ok: true, found: 'fine' }];
      },
      { timeoutMs: 60_000, concurrency: 2 },
    );
    expect(results.map((r) => `${r.subject} ${r.ok}`)).toEqual([
      'config true',
      'store true',
      'a true',
      'b false',
      'c true',
    ]);
    expect(results[3]).toMatchObject({ found: 'ssh exploded', advice: expect.stringContaining('log') });
  });
});
