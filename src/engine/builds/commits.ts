import { HecklerError } from '../errors.js';
import type { CodeRepo, CommitInfo } from '../ports/repo.js';
import { escapeText } from '../text/mrkdwn.js';
import {
  branchAllowed,
  type Pipeline,
  type PipelineParse,
  parsePipelineFile,
  pipelineInvalid,
} from './pipeline.js';
import type { BuildTrigger, NewBuild } from './records.js';

export const PIPELINE_FILE = 'ocelot.yml';

/** One commit to build, and the branch it is built as (what `branches:` and triggers match). */
export interface Target {
  branch: string;
  sha: string;
  commit: CommitInfo;
}

/** Branches a default checkout would pick, in order, when several point at one commit. */
const preferred = ['main', 'master', 'develop'];

const pick = (branches: readonly string[]): string | undefined =>
  preferred.find((name) => branches.includes(name)) ?? [...branches].sort()[0];

/**
 * A branch name builds its tip; anything else (tag, SHA) builds that commit as a branch holding
 * it: one pointing at it, else the default branch or another that contains it. Nothing given:
 * the default branch (the origin's HEAD).
 */
export const resolveTarget = async (repo: CodeRepo, revision?: string): Promise<Target> => {
  const heads = await repo.branches();
  if (revision !== undefined && heads[revision] !== undefined) {
    const sha = heads[revision];
    return { branch: revision, sha, commit: await repo.commit(sha) };
  }
  const sha = revision === undefined ? await repo.head() : await repo.resolve(revision);
  const commit = await repo.commit(sha);
  const pointing = Object.keys(heads).filter((name) => heads[name] === sha);
  const exact = pick(pointing);
  if (exact) return { branch: exact, sha, commit };
  const order = [...preferred.filter((name) => heads[name]), ...Object.keys(heads).sort()].slice(0, 50);
  for (const name of new Set(order)) {
    if (await repo.isAncestor(sha, heads[name] ?? sha)) return { branch: name, sha, commit };
  }
  // On no branch at all (a tag of a deleted branch): the revision as written is the best name.
  return { branch: revision ?? sha.slice(0, 7), sha, commit };
};

/** `main (1a2b3c4)`, as literal text (a branch name is anything git allows). */
export const describeTarget = (target: Pick<Target, 'branch' | 'sha'>): string =>
  `${target.branch} (${target.sha.slice(0, 7)})`;

/** The parsed ocelot.yml at the commit, or undefined when the commit has none. */
export const readPipelineFile = async (repo: CodeRepo, sha: string): Promise<PipelineParse | undefined> => {
  const text = await repo.fileAt(sha, PIPELINE_FILE);
  return text === undefined ? undefined : parsePipelineFile(text, PIPELINE_FILE);
};

export const missingPipeline = (name: string, target: Target): HecklerError =>
  new HecklerError('NOT_FOUND', escapeText(`${name} has no ${PIPELINE_FILE} at ${describeTarget(target)}`), {
    hint: `add ${PIPELINE_FILE} at the repository root (README.md, "Builds"); \`/heckler validate ${escapeText(name)}\` checks it`,
  });

/** The pipelines to build, or the validate-style error (every problem with its key path). */
export const pipelinesAt = async (repo: CodeRepo, name: string, target: Target): Promise<Pipeline[]> => {
  const parsed = await readPipelineFile(repo, target.sha);
  if (!parsed) throw missingPipeline(name, target);
  if (!parsed.ok)
    throw pipelineInvalid(`${PIPELINE_FILE} of ${name} at ${describeTarget(target)}`, parsed.errors);
  return parsed.pipelines;
};

/** One queued build per pipeline, with what stage triggers match on. */
export const buildsFor = async (
  repo: CodeRepo,
  name: string,
  target: Target,
  pipelines: readonly Pipeline[],
  trigger: BuildTrigger,
): Promise<NewBuild[]> => {
  const changedFiles = await repo.changedFiles(target.sha);
  const message = [target.commit.subject, target.commit.body].filter(Boolean).join('\n\n');
  return pipelines.map((definition) => ({
    repo: name,
    branch: target.branch,
    sha: target.sha,
    definition,
    commit: { message, changedFiles },
    trigger,
  }));
};

/**
 * `/heckler build REPO [REV]`: fetch, resolve, read ocelot.yml there, and one build per pipeline
 * that builds the branch. A branch no pipeline builds is refused, naming what they do build.
 */
export const commandBuilds = async (
  repo: CodeRepo,
  name: string,
  revision: string | undefined,
  by: string,
  /** Only this pipeline of the file (repo.build naming one). */
  only?: string,
): Promise<NewBuild[]> => {
  await repo.fetch();
  const target = await resolveTarget(repo, revision);
  const all = await pipelinesAt(repo, name, target);
  const pipelines = only === undefined ? all : all.filter((pipeline) => pipeline.name === only);
  if (pipelines.length === 0)
    throw new HecklerError(
      'NOT_FOUND',
      escapeText(`${PIPELINE_FILE} of ${name} at ${describeTarget(target)} has no pipeline ${only}`),
      { hint: `its pipelines: ${all.map((p) => escapeText(p.name)).join(', ')}` },
    );
  const chosen = pipelines.filter((pipeline) => branchAllowed(pipeline, target.branch));
  if (chosen.length === 0) {
    const allowed = pipelines.map(
      (p) => `${p.name}: ${p.branches === 'ALL' ? 'ALL' : p.branches.join(', ')}`,
    );
    throw new HecklerError(
      'USAGE',
      escapeText(`no pipeline of ${name} builds branch ${target.branch} (${allowed.join('; ')})`),
      {
        hint: 'name an allowed branch, or add this one to `branches:` in ocelot.yml',
      },
    );
  }
  return buildsFor(repo, name, target, chosen, { kind: 'command', by });
};
