import {
  type ChatIdMap,
  type GroupedDelta,
  groupsNeedingApproval,
  type Ownership,
  ownersOfChange,
  ownersOfEvalError,
  parseCodeowners,
} from '../delta/index.js';
import type { CodeRepo } from '../ports/index.js';

/** Where GitHub looks for CODEOWNERS, in its order. */
const CODEOWNERS_PATHS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'];

/** Owners of each reviewable group, from CODEOWNERS at the commit being judged (ownership moves with the code). */
export const ownershipAt = async (
  repo: CodeRepo,
  sha: string,
  grouped: GroupedDelta,
  options: { chatIds: ChatIdMap; modulePaths: readonly string[] },
): Promise<{ groupOwners: Ownership[]; evalOwners: Ownership[] }> => {
  let text = '';
  for (const path of CODEOWNERS_PATHS) {
    const found = await repo.fileAt(sha, path);
    if (found !== undefined) {
      text = found;
      break;
    }
  }
  const context = {
    codeowners: parseCodeowners(text),
    chatIds: options.chatIds,
    modulePaths: options.modulePaths,
  };
  return {
    groupOwners: groupsNeedingApproval(grouped).map((group) => ownersOfChange(group.resource, context)),
    evalOwners: grouped.evalErrorGroups.map((group) => ownersOfEvalError(group, context)),
  };
};
