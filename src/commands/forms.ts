import { validateRevision } from '../engine/repo/revision.js';
import { REVISION_PATTERN } from './fleet-args.js';
import type { Services } from './types.js';

/**
 * What chat surfaces need to draw a command's form (Slack: the apply modal; the shell: prompts)
 * without knowing the fleet or the repository: the choices. Submitting a form builds a command
 * line, which goes through the parser and authorization like a typed one.
 */

/** The forms a command may ask a surface to open. */
export type FormName = 'apply';

/** One choice of a picker: `label` is plain text (shown as typed), `value` is what the command gets. */
export interface FormChoice {
  label: string;
  value: string;
}

export interface Forms {
  /** Node sets to apply to, `all` first; empty when no fleet is configured. */
  sets(): string[];
  /**
   * Revisions for a picker: the tracked branch's tip and the latest tags that contain `query`, and
   * `query` itself first when it resolves (a SHA, an older tag). Only names the parser accepts.
   */
  revisions(query: string): Promise<FormChoice[]>;
}

/** How many tags a picker offers (Slack shows at most 100 options). */
const TAGS = 20;

export const createForms = (services: Services): Forms => ({
  sets: () =>
    services.fleet ? ['all', ...Object.keys(services.fleet.sets()).filter((s) => s !== 'all')] : [],
  async revisions(query) {
    const repo = services.repo;
    if (!repo) return [];
    const wanted = query.trim();
    const branch = services.config.repo?.branch;
    const [tags, head] = await Promise.all([repo.latestTags(TAGS), repo.head()]);
    const offered: FormChoice[] = [];
    if (branch && REVISION_PATTERN.test(branch))
      offered.push({ label: `${branch} (branch tip, ${head.slice(0, 7)})`, value: branch });
    for (const tag of tags) if (REVISION_PATTERN.test(tag)) offered.push({ label: tag, value: tag });
    const lower = wanted.toLowerCase();
    const matching = offered.filter((choice) => choice.value.toLowerCase().includes(lower));
    if (wanted === '' || matching.some((choice) => choice.value === wanted) || !REVISION_PATTERN.test(wanted))
      return matching;
    try {
      const sha = await repo.resolve(validateRevision(wanted));
      return [{ label: `${wanted} (${sha.slice(0, 7)})`, value: wanted }, ...matching];
    } catch {
      // Not a revision: nothing to offer for it; a submission of it is refused with the reason.
      return matching;
    }
  },
});
