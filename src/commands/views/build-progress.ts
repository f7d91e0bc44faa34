import type { BuildViews } from '../../engine/builds/progress.js';
import type {
  BuildRecord,
  BuildStatus,
  BuildTrigger,
  StageRecord,
  StageStatus,
} from '../../engine/builds/records.js';
import type { Block, Message } from '../../engine/ports/index.js';
import { formatDuration } from '../../engine/text/duration.js';
import { escapeText as esc, mention } from '../../engine/text/mrkdwn.js';

export const buildIcons: Record<BuildStatus, string> = {
  queued: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  passed: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
  timed_out: ':alarm_clock:',
  error: ':boom:',
  interrupted: ':warning:',
};

const stageIcons: Record<StageStatus, string> = {
  passed: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
  not_run: ':white_small_square:',
  timed_out: ':alarm_clock:',
  cancelled: ':no_entry_sign:',
};

export const statusWord = (status: BuildStatus): string => status.replace('_', ' ');

/** A chat user for commands (mentioned), the pusher or the restart otherwise (escaped). */
export const triggeredBy = (trigger: BuildTrigger): string =>
  trigger.kind === 'command' ? mention(trigger.by) : esc(trigger.by);

/** Ids look like U0123ABC; anything else (a push author's name) is shown as written. */
const person = (who: string): string => (/^[UW][A-Z0-9_]{1,39}$/.test(who) ? mention(who) : esc(who));

/** Log text inside a code block: a ``` in the output would end the block early. */
export const fenceSafe = (text: string): string => text.replaceAll('```', '`\u200b`\u200b`');

export const shortSha = (sha: string): string => sha.slice(0, 7);

/** How long a finished build ran (views have no clock, so a running one has no duration yet). */
export const buildDuration = (build: BuildRecord): string | undefined =>
  build.startedAt === null || build.finishedAt === null
    ? undefined
    : formatDuration(build.finishedAt - build.startedAt);

const subject = (build: BuildRecord): string => esc(build.commit.message.split('\n')[0] ?? '');

const running = (stage: StageRecord) => stage.startedAt !== null && stage.durationMs === null;

/**
 * `inProgress`: the build still runs, so a stage not started yet is waiting, not "not run". Stage
 * names come from ocelot.yml and reasons from Docker and triggers: escaped, like every value below.
 */
export const stageLine = (stage: StageRecord, inProgress = false): string => {
  const key = esc(stage.key);
  if (running(stage)) return `:arrows_counterclockwise: ${key} — running`;
  if (inProgress && stage.status === 'not_run' && !stage.reason)
    return `:white_small_square: ${key} — waiting`;
  const parts = [stage.status === 'not_run' ? 'not run' : stage.status.replace('_', ' ')];
  if (stage.exitCode !== null) parts.push(`exit ${stage.exitCode}`);
  if (stage.durationMs !== null) parts.push(formatDuration(stage.durationMs));
  const reason =
    stage.status === 'skipped' || stage.status === 'timed_out' ? ` (${esc(stage.reason ?? '')})` : '';
  return `${stageIcons[stage.status]} ${key} — ${parts.join(' · ')}${reason.replace(' ()', '')}`;
};

export const buildTitle = (build: BuildRecord): string =>
  `Build #${build.id} ${esc(build.repo)} \`${esc(build.branch)}\` \`${esc(shortSha(build.sha))}\``;

/** The fallback text: the same as the title, without the code spans. */
const plainTitle = (build: BuildRecord): string =>
  `Build #${build.id} ${esc(`${build.repo} ${build.branch} ${shortSha(build.sha)}`)}`;

/** The one message of a build: status, stages, who and how long. */
export const buildMessage = (build: BuildRecord): Message => {
  const took = buildDuration(build);
  const done = build.status !== 'queued' && build.status !== 'running';
  const head = `${buildIcons[build.status]} *${buildTitle(build)}* — ${statusWord(build.status)}${took ? ` in ${took}` : ''}`;
  const blocks: Block[] = [{ kind: 'section', text: `${head}\n${subject(build)}` }];
  if (build.stages.length > 0) {
    blocks.push({ kind: 'section', text: build.stages.map((stage) => stageLine(stage, !done)).join('\n') });
  }
  const notes: string[] = [];
  if (build.pipeline !== 'default') notes.push(`pipeline ${esc(build.pipeline)}`);
  notes.push(`triggered by ${triggeredBy(build.trigger)}`);
  if (build.waitMs !== null) notes.push(`waited ${formatDuration(build.waitMs)}`);
  if (build.killedBy) notes.push(`cancelled by ${person(build.killedBy)}`);
  if (build.requeuedAs) notes.push(`repeated as build #${build.requeuedAs}`);
  if (build.retryOf) notes.push(`repeats build #${build.retryOf}`);
  blocks.push({ kind: 'context', text: notes.join(' · ') });
  if (build.error)
    blocks.push({
      kind: 'section',
      text: `*${build.status === 'error' ? 'Could not run' : 'Why'}:* ${esc(build.error)}`,
    });
  return {
    text: `${plainTitle(build)}: ${statusWord(build.status)}`,
    blocks,
  };
};

const logHint = (build: BuildRecord, stage: StageRecord): Block => ({
  kind: 'context',
  text: `\`/heckler logs ${build.id} --stage ${esc(stage.key)}\` shows the whole log`,
});

/** A thread reply: one stage's result, with the end of its log when it failed. */
export const stageMessage = (build: BuildRecord, stage: StageRecord, tail?: string): Message => {
  const blocks: Block[] = [{ kind: 'section', text: stageLine(stage) }];
  if (stage.status === 'failed' && stage.exitCode === null && stage.reason) {
    blocks.push({ kind: 'context', text: esc(stage.reason) });
  }
  if (tail !== undefined) blocks.push({ kind: 'code', text: fenceSafe(tail) }, logHint(build, stage));
  return { text: `build #${build.id} ${esc(stage.key)}: ${stage.status.replace('_', ' ')}`, blocks };
};

/** To notify's channel: what ended how, and whom it concerns. */
export const noticeMessage = (
  build: BuildRecord,
  failed?: { stage: StageRecord; tail?: string },
): Message => {
  const who = ` — ${triggeredBy(build.trigger)}`;
  const where = failed
    ? ` at *${esc(failed.stage.key)}*${failed.stage.exitCode === null ? '' : ` (exit ${failed.stage.exitCode})`}`
    : '';
  const text = `${buildIcons[build.status]} *${buildTitle(build)}* ${statusWord(build.status)}${where}${who}`;
  const blocks: Block[] = [{ kind: 'section', text }];
  if (build.error && !failed) blocks.push({ kind: 'section', text: esc(build.error) });
  if (failed?.tail !== undefined) {
    blocks.push({ kind: 'code', text: fenceSafe(failed.tail) }, logHint(build, failed.stage));
  }
  return { text: text.replace(/[*`]/g, ''), blocks };
};

export const invalidPushMessage = (repo: string, at: string, errors: readonly string[]): Message => {
  const text = `:warning: ${esc(`${repo} ${at}`)}: ocelot.yml is invalid, so nothing was built`;
  return {
    text,
    blocks: [
      { kind: 'section', text },
      { kind: 'code', text: errors.join('\n') },
      { kind: 'context', text: `\`/heckler validate ${esc(repo)}\` checks the file again` },
    ],
  };
};

export const buildViews: BuildViews = {
  build: buildMessage,
  stage: stageMessage,
  notice: noticeMessage,
  invalidPush: invalidPushMessage,
};
