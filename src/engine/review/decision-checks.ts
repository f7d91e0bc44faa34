import { mayApprove } from '../delta/index.js';
import { HecklerError } from '../errors.js';
import { buildBlockOf, buildBlockText, PUPPET_BUILD_REPO } from '../gate/rules.js';
import { escapeText, link, mentionAll } from '../text/mrkdwn.js';
import { coveredNodes, decidersOf, excludedOf, ownerLists, type ReviewRecord } from './records.js';
import type { DecisionRequest, ReviewServiceDeps } from './service.js';

/** Who may decide at all: not a writer of the commit, and an owner of every part, an approver or an admin. */
export const refuseNotAllowed = (
  record: ReviewRecord,
  request: DecisionRequest,
  roles: ReviewServiceDeps['roles'],
) => {
  const verdict = mayApprove({
    user: request.user,
    roles: request.roles,
    groupOwners: ownerLists(record),
    excluded: excludedOf(record),
    admins: roles.admins,
    approvers: roles.approvers,
  });
  if (!verdict.ok) {
    const all = decidersOf(record, roles);
    const who =
      mentionAll([...all.owners, ...all.approvers, ...all.admins].filter((id) => id !== request.user)) ||
      'nobody: add an approver or admin in heckler.yml';
    const why =
      verdict.reason === 'author'
        ? `you wrote ${record.shortSha} (as its author, a co-author or its committer): someone else must ${request.verdict} it`
        : all.owners.length === 0 && ownerLists(record).some((owners) => owners.includes(request.user))
          ? `you own only part of what ${record.shortSha} changes, and no single owner covers all of it`
          : `you do not own what ${record.shortSha} changes`;
    throw new HecklerError('NOT_AUTHORIZED', why, { hint: `who can ${request.verdict} it: ${who}` });
  }
};

/**
 * A decision binds to what the person saw: the delta on their message, a delta that covers at
 * least one node, and (when required) a commit whose signature GitHub verified.
 */
export const refuseOutdated = async (
  record: ReviewRecord,
  request: DecisionRequest,
  permalink: ReviewServiceDeps['permalink'],
) => {
  const shown = request.shownHash?.toLowerCase();
  if (shown !== undefined && !record.deltaHash.startsWith(shown)) {
    const url = record.message ? await permalink?.(record.message).catch(() => undefined) : undefined;
    throw new HecklerError(
      'OUTDATED',
      `${record.shortSha} was re-nooped after the message you ${request.via === 'button' ? 'clicked' : 'quoted'} was drawn: it showed delta ${shown.slice(0, 8)}, the current one is ${record.deltaHash.slice(0, 8)}`,
      {
        hint: `read the current message${url ? ` (${link(url, record.shortSha)})` : ''} and decide again; nothing was recorded`,
      },
    );
  }
};

export const refuseUnapprovable = (
  record: ReviewRecord,
  request: DecisionRequest,
  approvals: Pick<ReviewServiceDeps['approvals'], 'requireVerified' | 'requireBuild'>,
) => {
  if (request.verdict !== 'approve') return;
  if (coveredNodes(record).covered === 0) {
    throw new HecklerError(
      'USAGE',
      `no node produced a noop of ${record.shortSha}: there is nothing reviewed to approve`,
      {
        hint: `fix what the message says failed, then run \`/heckler noop ${record.shortSha}\` again`,
      },
    );
  }
  if (approvals.requireVerified) {
    const github = record.github;
    const problem =
      github === undefined
        ? 'GitHub was not asked (configure repo.github and GITHUB_TOKEN)'
        : 'error' in github
          ? `GitHub could not be asked: ${escapeText(github.error)}`
          : github.verified
            ? undefined
            : `GitHub does not verify its signature (${escapeText(github.verificationReason ?? 'unsigned')})`;
    if (problem)
      throw new HecklerError('NOT_AUTHORIZED', `${record.shortSha} cannot be approved: ${problem}`, {
        hint: 'approvals.requireVerified is on: the commit must be signed with a key GitHub verifies; re-commit it signed',
      });
  }
  const unbuilt = approvals.requireBuild ? buildBlockOf(record.build) : undefined;
  if (unbuilt)
    throw new HecklerError(
      'NOT_AUTHORIZED',
      `${record.shortSha} cannot be approved before its build passes: ${buildBlockText(unbuilt, { shortSha: record.shortSha, repo: PUPPET_BUILD_REPO })}`,
      {
        hint: 'approvals.requireBuild is on: fix what the build says and push, or rebuild it; nothing was recorded',
      },
    );
};
