import {
  type ChangeGroup,
  type ChatIdMap,
  chatIdsOf,
  type GroupedDelta,
  groupsNeedingApproval,
  moduleDirOf,
  type Ownership,
  ownersOf,
  ownersOfEvalError,
  parseCodeowners,
} from '../delta/index.js';
import type { CodeRepo, CommitInfo } from '../ports/index.js';
import type { PartOwnership } from './records.js';

/** Where GitHub looks for CODEOWNERS, in its order. */
export const CODEOWNERS_PATHS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'];

export interface OwnershipOptions {
  chatIds: ChatIdMap;
  modulePaths: readonly string[];
  /** Node name → certname: node definitions match certnames. */
  certnames: ReadonlyMap<string, string>;
  /** The files whose `node` statements define a certname, read at the same base as CODEOWNERS. */
  definingFiles(certname: string): readonly string[];
  /** What the commit changes against its first parent (`CodeRepo.changedFiles`). */
  changed: readonly string[];
}

export interface CommitOwnership {
  partOwners: PartOwnership[][];
  groupOwners: Ownership[];
  evalOwners: Ownership[];
  codeownersOwners?: PartOwnership;
}

const at = (file: string | undefined, line: number | undefined) =>
  file === undefined ? 'unknown file' : `${file}${line === undefined ? '' : `:${line}`}`;

/**
 * Owners of each part of a commit's change, read from CODEOWNERS at its **first parent** (as GitHub
 * reads it from the base branch): a commit cannot make its writer an owner by rewriting CODEOWNERS.
 * A root commit has no base, so only approvers and admins decide on it.
 */
export const ownershipOf = async (
  repo: CodeRepo,
  commit: CommitInfo,
  grouped: GroupedDelta,
  options: OwnershipOptions,
): Promise<CommitOwnership> => {
  const base = commit.parents[0];
  const text = base === undefined ? '' : await codeownersAt(repo, base);
  const { changed } = options;
  const codeowners = parseCodeowners(text);
  const named = (names: readonly string[], of: string, source: Ownership['source']): PartOwnership => ({
    ...chatIdsOf(names, options.chatIds),
    source,
    of,
  });

  /** File owners first, then the module's, then the owners of the files defining its nodes. */
  const ownersOfSource = (
    group: ChangeGroup,
    file: string | undefined,
    line: number | undefined,
    nodes: readonly string[],
  ): PartOwnership[] => {
    if (file !== undefined) {
      const byFile = ownersOf(codeowners, file);
      if (byFile.length > 0) return [named(byFile, at(file, line), 'file')];
    }
    const moduleDir = moduleDirOf(
      { ...group.resource, ...(file === undefined ? {} : { file }) },
      options.modulePaths,
    );
    if (moduleDir !== undefined) {
      const byModule = ownersOf(codeowners, moduleDir);
      if (byModule.length > 0) return [named(byModule, moduleDir, 'module')];
    }
    const definitions = new Set(
      nodes.flatMap((node) => options.definingFiles(options.certnames.get(node) ?? node)),
    );
    if (definitions.size > 0)
      return [...definitions]
        .sort()
        .map((path) => named(ownersOf(codeowners, path), `node definitions in ${path}`, 'nodes'));
    return [{ owners: [], unmapped: [], source: 'none', of: at(file, line) }];
  };

  const groups = groupsNeedingApproval(grouped);
  const partOwners = groups.map((group) => {
    const sources = group.sources?.length
      ? group.sources
      : [{ file: group.resource.file, line: group.resource.line, nodes: group.nodes }];
    return sources.flatMap((source) => ownersOfSource(group, source.file, source.line, source.nodes));
  });
  const changedCodeowners = changed.find((path) => CODEOWNERS_PATHS.includes(path));
  return {
    partOwners,
    // The first part of each group, for readers of the older shape (pending lists, apply blockers).
    groupOwners: partOwners.map((parts) => parts[0] ?? { owners: [], unmapped: [], source: 'none' }),
    evalOwners: grouped.evalErrorGroups.map((group) =>
      ownersOfEvalError(group, { codeowners, chatIds: options.chatIds, modulePaths: options.modulePaths }),
    ),
    ...(changedCodeowners === undefined
      ? {}
      : {
          codeownersOwners: named(ownersOf(codeowners, changedCodeowners), changedCodeowners, 'file'),
        }),
  };
};

export const codeownersAt = async (repo: CodeRepo, sha: string): Promise<string> => {
  for (const path of CODEOWNERS_PATHS) {
    const found = await repo.fileAt(sha, path);
    if (found !== undefined) return found;
  }
  return '';
};

/**
 * Files a commit changes whose code Puppet executes while compiling or reporting — Ruby in a
 * module's `lib/` (functions, types, providers, facts, report processors), templates, external
 * facts. A noop runs them as root on every node, so their own report cannot vouch for them.
 */
export const pluginCodeIn = (paths: readonly string[]): string[] =>
  paths.filter((path) => /(^|\/)lib\/.+\.rb$|\.(erb|epp)$|(^|\/)facts\.d\//.test(path));
