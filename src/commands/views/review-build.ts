import { buildVerdict, type PipelineBuild, PUPPET_BUILD_REPO } from '../../engine/gate/rules.js';
import type { GateViews } from '../../engine/gate/service.js';
import type { Message } from '../../engine/ports/index.js';
import type { ReviewRecord } from '../../engine/review/records.js';
import { reviewStatus } from '../../engine/review/records.js';
import { escapeText as esc } from '../../engine/text/mrkdwn.js';
import { fenceSafe } from './build-progress.js';

/** What heckler.yml makes of a commit's build (repo.build on: the review shows it). */
export interface ReviewBuildGate {
  /** approvals.requireBuild: no Approve button until the build passed. */
  approvals: boolean;
  /** apply.requireBuild: an approved commit still waits for its build before it can be applied. */
  apply: boolean;
}

const named = (build: PipelineBuild) =>
  `build #${build.id}${build.pipeline === 'default' ? '' : ` (${esc(build.pipeline)})`}`;

const rebuild = (record: ReviewRecord) => `\`/heckler build ${PUPPET_BUILD_REPO} ${esc(record.shortSha)}\``;

/** One pipeline's build in a few words: queued, running (stage k of n), passed, failed at stage X. */
const stateText = (record: ReviewRecord, build: PipelineBuild): string => {
  switch (build.status) {
    case 'queued':
      return `:hourglass_flowing_sand: ${named(build)} queued`;
    case 'running':
      return `:gear: ${named(build)} running (stage ${Math.min(build.stagesDone + 1, build.stages)} of ${build.stages})`;
    case 'passed':
      return `:white_check_mark: ${named(build)} passed`;
    case 'failed':
    case 'timed_out':
      return `:x: ${named(build)} ${build.status === 'failed' ? 'failed' : 'timed out'}${build.failedAt ? ` at stage ${esc(build.failedAt)}` : ''} (last log lines in the thread; \`/heckler logs ${build.id}\`)`;
    case 'cancelled':
      return `:heavy_multiplication_x: ${named(build)} cancelled: ${rebuild(record)} builds it again`;
    default:
      return `:warning: ${named(build)} could not run${build.error ? `: ${esc(build.error)}` : ''}; ${rebuild(record)} builds it again`;
  }
};

/**
 * The commit's own build next to its noop (issue 12), or undefined when repo.build is off and
 * none is recorded. Says when the build holds an approved commit back from applies.
 */
export const buildLine = (record: ReviewRecord, gate: ReviewBuildGate | undefined): string | undefined => {
  const build = record.build;
  if (!gate && !build) return undefined;
  const parts =
    build === undefined
      ? [':hourglass_flowing_sand: build: not queued yet']
      : build.kind === 'none'
        ? [`:heavy_minus_sign: no build: ${esc(build.why)}`]
        : build.kind === 'not_built'
          ? [`:warning: not built (${esc(build.why)}): ${rebuild(record)}`]
          : build.builds.map((b) => stateText(record, b));
  const verdict = buildVerdict(build);
  const status = reviewStatus(record);
  const approved = status === 'approved' || status === 'auto_approved';
  if (verdict.state !== 'passed' && approved && gate?.apply)
    parts.push(':no_entry: *applies are blocked* until the build passes (apply.requireBuild)');
  if (verdict.state !== 'passed' && status === 'pending' && gate?.approvals)
    parts.push('approval waits for a passing build (approvals.requireBuild)');
  return parts.join('\n');
};

/** A failed stage's last log lines, replied in the review's thread. */
const failureMessage = (record: ReviewRecord, build: PipelineBuild, tail?: string): Message => {
  const head = `${esc(record.shortSha)}: ${named(build)} failed${build.failedAt ? ` at stage ${esc(build.failedAt)}` : ''}`;
  const text = `${head}; the whole log: \`/heckler logs ${build.id}${build.failedAt ? ` --stage ${esc(build.failedAt)}` : ''}\``;
  return {
    text,
    blocks: [
      { kind: 'section', text: `:x: ${text}` },
      ...(tail ? [{ kind: 'section' as const, text: `\`\`\`${fenceSafe(esc(tail))}\`\`\`` }] : []),
    ],
  };
};

/** The gate's chat views, with the review message drawn the way the review service draws it. */
export const gateViews = (review: (record: ReviewRecord) => Message): GateViews => ({
  review,
  failure: failureMessage,
});
