import { describe, expect, it } from 'vitest';
import { buildBlockers, forcedReason } from '../../../src/engine/apply/plan.js';
import type { BuildRecord, BuildStatus, StageRecord } from '../../../src/engine/builds/records.js';
import {
  buildBlockOf,
  buildBlockText,
  type CommitBuild,
  newestBuilds,
  type PipelineBuild,
  pipelineBuild,
  withBuild,
} from '../../../src/engine/gate/rules.js';

/** The build gate's rules (issue 12): what a commit's own build says, and when it blocks. */

const SHA = 'abc1234'.padEnd(40, '0');
const commit = { shortSha: 'abc1234', repo: 'puppet' };

const build = (over: Partial<PipelineBuild> = {}): PipelineBuild => ({
  id: 12,
  pipeline: 'default',
  status: 'passed',
  stagesDone: 3,
  stages: 3,
  ...over,
});
const builds = (...list: PipelineBuild[]): CommitBuild => ({ kind: 'builds', builds: list });

describe('buildBlockOf and buildBlockText: the blocker of each state, in the words plans and refusals use', () => {
  const table: Array<[string, CommitBuild | undefined, string | undefined]> = [
    ['passed', builds(build()), undefined],
    ['every pipeline passed', builds(build(), build({ id: 13, pipeline: 'spec' })), undefined],
    [
      'failed at a stage',
      builds(build({ status: 'failed', failedAt: 'lint', stagesDone: 1 })),
      'build #12 failed at stage lint (`/heckler logs 12`)',
    ],
    [
      'timed out',
      builds(build({ status: 'timed_out', failedAt: 'spec' })),
      'build #12 timed out at stage spec (`/heckler logs 12`)',
    ],
    [
      'one pipeline of two failed: the failure speaks',
      builds(build(), build({ id: 14, pipeline: 'spec', status: 'failed', failedAt: 'rspec' })),
      'build #14 (spec) failed at stage rspec (`/heckler logs 14`)',
    ],
    [
      'running',
      builds(build({ id: 13, status: 'running', stagesDone: 1 })),
      'build #13 still running (stage 2 of 3)',
    ],
    ['queued', builds(build({ id: 13, status: 'queued', stagesDone: 0 })), 'build #13 still queued'],
    [
      'could not run',
      builds(build({ status: 'error', error: 'image <x> missing' })),
      'build #12 could not run: image &lt;x&gt; missing; `/heckler build puppet abc1234` builds it again',
    ],
    [
      'cancelled',
      builds(build({ status: 'cancelled' })),
      'build #12 was cancelled: `/heckler build puppet abc1234` builds it again',
    ],
    [
      'interrupted by a restart',
      builds(build({ status: 'interrupted' })),
      'build #12 could not run; `/heckler build puppet abc1234` builds it again',
    ],
    ['never queued', undefined, 'not built: `/heckler build puppet abc1234`'],
    ['no pipeline recorded', builds(), 'not built: `/heckler build puppet abc1234`'],
    [
      'no ocelot.yml: blocks too, so deleting the file is no way past the gate',
      { kind: 'none', why: 'puppet has no ocelot.yml at main (abc1234)' },
      'nothing was built: puppet has no ocelot.yml at main (abc1234)',
    ],
    [
      'could not be queued',
      { kind: 'not_built', why: 'the mirror could not fetch' },
      'not built (the mirror could not fetch): `/heckler build puppet abc1234`',
    ],
  ];
  it.each(table)('%s', (_name, given, words) => {
    const block = buildBlockOf(given);
    expect(block === undefined ? undefined : buildBlockText(block, commit)).toBe(words);
  });

  it('escapes pipeline and stage names from ocelot.yml', () => {
    const block = buildBlockOf(
      builds(build({ pipeline: '<!channel>', status: 'failed', failedAt: '*bold* <@U1>' })),
    );
    const text = block ? buildBlockText(block, commit) : '';
    expect(text).toBe('build #12 (&lt;!channel&gt;) failed at stage *bold* &lt;@U1&gt; (`/heckler logs 12`)');
  });
});

describe('withBuild and newestBuilds: a commit keeps the newest build of each pipeline', () => {
  it('a rebuild replaces the older build of its pipeline, and a late event of the old one does not come back', () => {
    const failed = build({ id: 12, status: 'failed', failedAt: 'lint' });
    const rebuilt = build({ id: 20, status: 'passed' });
    const after = withBuild(withBuild(undefined, failed), rebuilt);
    expect(after).toEqual(builds(rebuilt));
    expect(withBuild(after, failed)).toEqual(builds(rebuilt));
    expect(buildBlockOf(after)).toBeUndefined();
  });

  it('a failing rebuild after a pass blocks again', () => {
    const after = withBuild(builds(build({ id: 12 })), build({ id: 20, status: 'failed', failedAt: 'lint' }));
    expect(buildBlockOf(after)).toMatchObject({ state: 'failed', build: { id: 20 } });
  });

  it('a build of something else replaces "nothing to build"', () => {
    expect(withBuild({ kind: 'none', why: 'no ocelot.yml' }, build())).toEqual(builds(build()));
  });

  const stage = (key: string, status: StageRecord['status'], durationMs: number | null): StageRecord => ({
    name: key,
    key,
    status,
    exitCode: null,
    startedAt: durationMs === null ? null : 1,
    durationMs,
  });
  const record = (id: number, pipeline: string, status: BuildStatus, stages: StageRecord[]) =>
    ({ id, pipeline, status, stages, repo: 'puppet', sha: SHA }) as unknown as BuildRecord;

  it('reads the stage reached and the failed stage off build records', () => {
    const running = record(3, 'default', 'running', [
      stage('lint', 'passed', 5),
      stage('spec', 'not_run', null),
    ]);
    expect(pipelineBuild(running)).toEqual({
      id: 3,
      pipeline: 'default',
      status: 'running',
      stagesDone: 1,
      stages: 2,
    });
    const failed = record(4, 'default', 'failed', [
      stage('lint', 'failed', 5),
      stage('spec', 'not_run', null),
    ]);
    expect(pipelineBuild(failed)).toMatchObject({ status: 'failed', failedAt: 'lint', stagesDone: 1 });
    expect(newestBuilds([failed, running, record(2, 'other', 'passed', [])])).toEqual(
      builds(pipelineBuild(failed), pipelineBuild(record(2, 'other', 'passed', []))),
    );
    expect(newestBuilds([])).toBeUndefined();
  });
});

describe('buildBlockers: apply.requireBuild on the commits an apply brings', () => {
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);
  const C = 'c'.repeat(40);
  const commits = new Map([
    [A, { shortSha: 'aaaaaaa', subject: 'passes' }],
    [B, { shortSha: 'bbbbbbb', subject: 'fails lint' }],
    [C, { shortSha: 'ccccccc', subject: 'never built' }],
  ]);
  const facts = new Map<string, CommitBuild | undefined>([
    [A, builds(build({ id: 1 }))],
    [B, builds(build({ id: 2, status: 'failed', failedAt: 'lint' }))],
  ]);

  it('blocks each commit whose build has not passed, in order, naming it', () => {
    const { blockers, overridden } = buildBlockers([A, B, C], { commits, builds: facts });
    expect(overridden).toEqual([]);
    expect(blockers.map((b) => [b.shortSha, b.kind, b.build?.state])).toEqual([
      ['bbbbbbb', 'build', 'failed'],
      ['ccccccc', 'build', 'not_built'],
    ]);
  });

  it('--force sets them aside (the plan lists them and the audit log gets why)', () => {
    const { blockers, overridden } = buildBlockers([A, B, C], { commits, builds: facts, force: true });
    expect(blockers).toEqual([]);
    expect(overridden.map((b) => b.shortSha)).toEqual(['bbbbbbb', 'ccccccc']);
    expect(overridden.map((b) => forcedReason(7, b, 'puppet'))).toEqual([
      'apply #7 past its build: build #2 failed at stage lint (`/heckler logs 2`)',
      'apply #7 past its build: not built: `/heckler build puppet ccccccc`',
    ]);
  });

  it('a commit with every build passed adds nothing', () => {
    expect(buildBlockers([A], { commits, builds: facts })).toEqual({ blockers: [], overridden: [] });
  });
});
