import type { BuildRecord } from '../../engine/builds/records.js';
import type { Block, ChatFile, Message } from '../../engine/ports/index.js';
import { escapeText as esc } from '../../engine/text/mrkdwn.js';
import { buildDuration, buildIcons, shortSha, statusWord, triggeredBy } from './build-progress.js';

/** One line per build, newest first: id, repo, branch, short SHA, status, duration, who. */
export const buildListMessage = (builds: readonly BuildRecord[], repo?: string): Message => {
  const scope = repo === undefined ? 'all watched repositories' : esc(repo);
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
      `${buildIcons[build.status]} \`#${build.id}\` ${esc(build.repo)}`,
      `\`${esc(build.branch)}\``,
      `\`${esc(shortSha(build.sha))}\``,
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

/**
 * A build's log as a file to share: the whole log (already capped and masked by the runner). A
 * file is not mrkdwn: its title and content are literal text.
 */
export const buildLogFile = (build: BuildRecord, text: string, stage?: string): ChatFile => {
  const title = `Log of build #${build.id} ${build.repo} ${build.branch} ${shortSha(build.sha)}${stage ? ` (stage ${stage})` : ''}`;
  return {
    filename: `build-${build.id}${stage ? `-${stage.replace(/[^\w.-]+/g, '_')}` : ''}.log`,
    title: `${title} — ${statusWord(build.status)}`,
    content: text === '' ? '(empty)\n' : text,
  };
};
