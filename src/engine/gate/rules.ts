import type { BuildRecord, BuildStatus } from '../builds/records.js';
import { escapeText } from '../text/mrkdwn.js';

/**
 * The build gate as pure rules (issue 12): what a Puppet commit's own build says of it, and when
 * that blocks an approval or an apply. The gate service gathers the builds; this decides.
 */

/** The Puppet repository's name among watched build repositories: `/heckler build puppet SHA`. */
export const PUPPET_BUILD_REPO = 'puppet';

/** One pipeline's newest build of a commit, as the review and the plan need it. */
export interface PipelineBuild {
  id: number;
  pipeline: string;
  status: BuildStatus;
  /** Stages finished so far, and how many the pipeline has: `running (stage k of n)`. */
  stagesDone: number;
  stages: number;
  /** The stage that failed or timed out (its key, as `/heckler logs ID STAGE` takes it). */
  failedAt?: string;
  /** `error` and `interrupted`: what went wrong, in plain words. */
  error?: string;
}

/**
 * A commit's build as its review records it. `none`: nothing to build at this commit (no
 * ocelot.yml, an invalid one, no pipeline for the branch), said in `why`; `not_built`: it could
 * not be queued (the mirror could not fetch…), `why` says so; `builds`: the newest build of each
 * pipeline, by pipeline name.
 */
export type CommitBuild =
  | { kind: 'none'; why: string }
  | { kind: 'not_built'; why: string }
  | { kind: 'builds'; builds: PipelineBuild[] };

const badEnds: readonly BuildStatus[] = ['failed', 'timed_out', 'error', 'cancelled', 'interrupted'];

export const pipelineBuild = (record: BuildRecord): PipelineBuild => {
  const failed = record.stages.find((stage) => stage.status === 'failed' || stage.status === 'timed_out');
  return {
    id: record.id,
    pipeline: record.pipeline,
    status: record.status,
    stagesDone: record.stages.filter((stage) => stage.durationMs !== null || stage.status === 'skipped')
      .length,
    stages: record.stages.length,
    ...(failed ? { failedAt: failed.key } : {}),
    ...(record.error ? { error: record.error } : {}),
  };
};

/** `build` joins what the commit had: a newer build of a pipeline replaces the older one, never the other way round. */
export const withBuild = (current: CommitBuild | undefined, build: PipelineBuild): CommitBuild => {
  const builds = current?.kind === 'builds' ? current.builds : [];
  const same = builds.find((known) => known.pipeline === build.pipeline);
  if (same && same.id > build.id) return { kind: 'builds', builds: [...builds] };
  const others = builds.filter((known) => known.pipeline !== build.pipeline);
  return { kind: 'builds', builds: [...others, build].sort((a, b) => a.pipeline.localeCompare(b.pipeline)) };
};

/** The newest build of each pipeline among `records` (any order). */
export const newestBuilds = (records: readonly BuildRecord[]): CommitBuild | undefined =>
  [...records]
    .sort((a, b) => a.id - b.id)
    .reduce<CommitBuild | undefined>((build, record) => withBuild(build, pipelineBuild(record)), undefined);

/** What the gate makes of a commit's build: the worst pipeline speaks for it. */
export type BuildVerdict =
  | { state: 'passed'; builds: PipelineBuild[] }
  | { state: 'failed' | 'running' | 'queued'; build: PipelineBuild }
  | { state: 'none'; why: string }
  | { state: 'not_built'; why?: string };

export const buildVerdict = (build: CommitBuild | undefined): BuildVerdict => {
  if (build === undefined) return { state: 'not_built' };
  if (build.kind === 'none') return { state: 'none', why: build.why };
  if (build.kind === 'not_built') return { state: 'not_built', why: build.why };
  if (build.builds.length === 0) return { state: 'not_built' };
  const failed = build.builds.find((b) => badEnds.includes(b.status));
  if (failed) return { state: 'failed', build: failed };
  const running = build.builds.find((b) => b.status === 'running');
  if (running) return { state: 'running', build: running };
  const queued = build.builds.find((b) => b.status === 'queued');
  if (queued) return { state: 'queued', build: queued };
  return { state: 'passed', builds: build.builds };
};

/**
 * Why a commit may not be applied (or approved) yet, as its build stands; undefined when it
 * passed. A commit with no ocelot.yml blocks too: deleting the file must not be a way past the gate.
 */
export type BuildBlock = Exclude<BuildVerdict, { state: 'passed' }>;

export const buildBlockOf = (build: CommitBuild | undefined): BuildBlock | undefined => {
  const verdict = buildVerdict(build);
  return verdict.state === 'passed' ? undefined : verdict;
};

const pipelineText = (build: PipelineBuild) =>
  build.pipeline === 'default' ? '' : ` (${escapeText(build.pipeline)})`;

/**
 * The blocker in words (escaped mrkdwn), for plans, refusals and the audit log: `build #12 failed
 * at stage lint (`/heckler logs 12`)`, `build #13 still running`, `not built: `/heckler build puppet SHA``.
 */
export const buildBlockText = (block: BuildBlock, commit: { shortSha: string; repo: string }): string => {
  const rebuild = `\`/heckler build ${escapeText(commit.repo)} ${escapeText(commit.shortSha)}\``;
  switch (block.state) {
    case 'failed': {
      const b = block.build;
      const id = `build #${b.id}${pipelineText(b)}`;
      if (b.status === 'failed' || b.status === 'timed_out')
        return `${id} ${b.status === 'failed' ? 'failed' : 'timed out'}${b.failedAt ? ` at stage ${escapeText(b.failedAt)}` : ''} (\`/heckler logs ${b.id}\`)`;
      if (b.status === 'cancelled') return `${id} was cancelled: ${rebuild} builds it again`;
      return `${id} could not run${b.error ? `: ${escapeText(b.error)}` : ''}; ${rebuild} builds it again`;
    }
    case 'running':
      return `build #${block.build.id}${pipelineText(block.build)} still running (stage ${Math.min(block.build.stagesDone + 1, block.build.stages)} of ${block.build.stages})`;
    case 'queued':
      return `build #${block.build.id}${pipelineText(block.build)} still queued`;
    case 'none':
      return `nothing was built: ${escapeText(block.why)}`;
    case 'not_built':
      return `not built${block.why ? ` (${escapeText(block.why)})` : ''}: ${rebuild}`;
  }
};
