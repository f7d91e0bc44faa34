import type { BuildRecord } from '../../engine/builds/records.js';
import type { Block, Message } from '../../engine/ports/index.js';
import { buildDuration, buildIcons, shortSha, statusWord, triggeredBy } from './build-progress.js';

/** One line per build, newest first: id, repo, branch, short SHA, status, duration, who. */
export const buildListMessage = (builds: readonly BuildRecord[], repo?: string): Message => {
  const scope = repo ?? 'all watched repositories';
  if (builds.length === 0) {
    const text = `No builds of ${scope} yet.`;
    return {
      text,
      blocks: [
        { kind: 'section', text },
        { kind: 'context', text: '`/heckler build REPO` starts one' },
      ],
    };
  }
  const lines = builds.map((build) => {
    const took = buildDuration(build);
    return [
      `${buildIcons[build.status]} \`#${build.id}\` ${build.repo}`,
      `\`${build.branch}\``,
      `\`${shortSha(build.sha)}\``,
      statusWord(build.status),
      ...(took ? [took] : []),
      triggeredBy(build.trigger),
    ].join(' · ');
  });
  const title = `Recent builds of ${scope}`;
  const blocks: Block[] = [
    { kind: 'header', text: title },
    { kind: 'section', text: lines.join('\n') },
    { kind: 'context', text: "`/heckler logs ID` shows a build's log · `/heckler kill ID` stops one" },
  ];
  return { text: `${title}: ${builds.length} shown`, blocks };
};

/** Chat messages cannot carry a whole 4 MiB log; past this the start is left out, visibly. */
export const CHAT_LOG_CHARS = 100_000;

/** A build's log as code blocks (the Slack renderer splits long ones into continuations). */
export const buildLogMessage = (build: BuildRecord, text: string, stage?: string): Message => {
  const title = `Log of build #${build.id} ${build.repo} ${build.branch} ${shortSha(build.sha)}${stage ? ` (stage ${stage})` : ''}`;
  const blocks: Block[] = [
    { kind: 'section', text: `${buildIcons[build.status]} *${title}* — ${statusWord(build.status)}` },
  ];
  let shown = text;
  if (text.length > CHAT_LOG_CHARS) {
    const start = text.indexOf('\n', text.length - CHAT_LOG_CHARS) + 1;
    shown = text.slice(start);
    blocks.push({
      kind: 'context',
      text: `the first ${start} of ${text.length} characters are left out here (chat cannot upload files yet); \`--stage\` narrows the log`,
    });
  }
  blocks.push({
    kind: 'code',
    text: shown.replaceAll('```', '`\u200b`\u200b`').replace(/\n$/, '') || '(empty)',
  });
  return { text: title, blocks };
};
