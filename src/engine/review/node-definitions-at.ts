import { definingFiles, parseManifests } from '../delta/node-definitions.js';
import type { CodeRepo, Logger } from '../ports/index.js';

/** More manifest files than this under `puppet.manifest` are not read for node definitions. */
const MAX_FILES = 2_000;

/** Node definitions at this many commits are kept: a commit's files never change. */
const KEPT = 64;

/**
 * The files whose `node` statements define each certname at a commit: `puppet.manifest` is a file
 * (`manifests/site.pp`) or a directory (`manifests/`, every `.pp` under it). Used for owners of
 * changes that no file or module owner claims, read at the same base as CODEOWNERS.
 */
export const nodeDefinitionsAt = (repo: CodeRepo, manifest: string, logger: Logger) => {
  // Every review of a commit (re-noops, a push's reviews sharing a parent, scans per applied
  // revision) asks for the same parent: read and parse the manifests once per commit.
  const known = new Map<string, Promise<(certname: string) => readonly string[]>>();
  return (sha: string): Promise<(certname: string) => readonly string[]> => {
    const found = known.get(sha);
    if (found) return found;
    const reading = read(sha);
    if (known.size >= KEPT) known.delete(known.keys().next().value as string);
    known.set(sha, reading);
    // A failed read (mirror busy) is not remembered: the next review tries again.
    reading.catch(() => known.delete(sha));
    return reading;
  };

  async function read(sha: string): Promise<(certname: string) => readonly string[]> {
    const single = manifest.endsWith('.pp') ? await repo.fileAt(sha, manifest) : undefined;
    const paths =
      single !== undefined
        ? [manifest]
        : (await repo.listFiles(sha, manifest)).filter((path) => path.endsWith('.pp')).slice(0, MAX_FILES);
    const manifests = [];
    for (const path of paths) {
      const text = path === manifest ? single : await repo.fileAt(sha, path);
      if (text !== undefined) manifests.push({ file: path, text });
    }
    const parsed = parseManifests(manifests);
    if (parsed.problems.length > 0)
      logger.warn({ sha, problems: parsed.problems.slice(0, 10) }, 'node definitions could not all be read');
    return (certname) => definingFiles(parsed.definitions, certname).files;
  }
};
