import type { EvaluationError, ResourceChange } from '../puppet/types.js';
import { type Codeowners, ownersOf } from './codeowners.js';

/** CODEOWNERS names → chat user ids (config `approvals.owners`): `'@alice': U0ALICE`, `'@org/t': [U1, U2]`. */
export type ChatIdMap = Readonly<Record<string, string | readonly string[]>>;

export interface Ownership {
  /** Chat user ids, in CODEOWNERS order, without repeats. */
  owners: string[];
  /** CODEOWNERS names with no chat user: shown, so someone adds them to the config. */
  unmapped: string[];
  /** Which CODEOWNERS question answered: the file, the module's directory, or the node definitions. */
  source: 'file' | 'module' | 'nodes' | 'none';
}

export interface OwnershipOptions {
  /** CODEOWNERS at the commit being approved (ownership moves with the code). */
  codeowners: Codeowners;
  chatIds: ChatIdMap;
  /** Module directories relative to the checkout (config `puppet.modulepath`); default `modules`. */
  modulePaths?: readonly string[];
  /** Where nodes are defined; default `manifests/`. */
  nodeDefinitions?: string;
}

/** GitHub handles and emails are case-insensitive: `@Alice` in CODEOWNERS is `@alice` in config. */
export const chatIdsOf = (
  names: readonly string[],
  chatIds: ChatIdMap,
): Pick<Ownership, 'owners' | 'unmapped'> => {
  const lower = new Map(Object.entries(chatIds).map(([name, ids]) => [name.toLowerCase(), ids]));
  const owners = new Set<string>();
  const unmapped: string[] = [];
  for (const name of names) {
    const ids = lower.get(name.toLowerCase());
    if (ids === undefined) unmapped.push(name);
    else for (const id of typeof ids === 'string' ? [ids] : ids) owners.add(id);
  }
  return { owners: [...owners], unmapped };
};

const segment = (path: string) => path.replace(/^\/+|\/+$/g, '');

/**
 * The module a change belongs to: from its file (`modules/webapp/manifests/init.pp`), else from
 * its defined type (`Webapp::Vhost[main]`) or a defined type's own resource (`Webapp::Vhost`).
 */
export const moduleDirOf = (
  resource: Pick<ResourceChange, 'file' | 'type' | 'defineType'>,
  modulePaths: readonly string[] = ['modules'],
): string | undefined => {
  for (const base of modulePaths.map(segment)) {
    const name = resource.file?.startsWith(`${base}/`)
      ? resource.file.slice(base.length + 1).split('/')[0]
      : '';
    if (name) return `${base}/${name}/`;
  }
  const namespaced = [resource.defineType, resource.type].find((name) => name?.includes('::'));
  const name = namespaced?.split('::')[0]?.toLowerCase();
  return name && modulePaths[0] !== undefined ? `${segment(modulePaths[0])}/${name}/` : undefined;
};

/** File owners first, then the module's, then the node definitions' (DESIGN.md §3.5). */
const resolve = (
  file: string | undefined,
  moduleDir: string | undefined,
  options: OwnershipOptions,
): Ownership => {
  const questions: [Ownership['source'], string | undefined][] = [
    ['file', file],
    ['module', moduleDir],
    ['nodes', options.nodeDefinitions ?? 'manifests/'],
  ];
  for (const [source, path] of questions) {
    const names = path === undefined ? [] : ownersOf(options.codeowners, path);
    if (names.length > 0) return { ...chatIdsOf(names, options.chatIds), source };
  }
  return { owners: [], unmapped: [], source: 'none' };
};

/** Owners of a change group, by its representative resource. */
export const ownersOfChange = (resource: ResourceChange, options: OwnershipOptions): Ownership =>
  resolve(resource.file, moduleDirOf(resource, options.modulePaths), options);

/** Owners of an evaluation error: of the file it names, else its module's, else the node definitions'. */
export const ownersOfEvalError = (error: EvaluationError, options: OwnershipOptions): Ownership =>
  resolve(
    error.file,
    error.file === undefined ? undefined : moduleDirOf({ file: error.file, type: '' }, options.modulePaths),
    options,
  );
