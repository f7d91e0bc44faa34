import { authorChatIds, type ChatIdMap, chatIdsOf } from '../delta/index.js';
import type { CommitInfo, Logger, Person } from '../ports/index.js';
import type { ReviewRecord } from './records.js';

/** What GitHub says of a commit: its logins as GitHub attributes them, and its signature. */
export interface GitHubCommitIdentity {
  authorLogin?: string;
  committerLogin?: string;
  verified: boolean;
  verificationReason?: string;
}

const shown = (person: Person) => `${person.name} <${person.email}>`;

/**
 * Who wrote a commit, as far as anyone can tell. Git's author, co-author and committer fields are
 * claims anyone can type; GitHub's logins (when asked) are GitHub's attribution. Everyone either
 * names is excluded from deciding, and a writer no chat user maps to is flagged, since the
 * exclusion cannot cover them.
 */
export const identitiesOf = async (
  commit: CommitInfo,
  options: {
    people: Readonly<Record<string, string>>;
    owners: ChatIdMap;
    github?: (sha: string) => Promise<GitHubCommitIdentity>;
    logger: Logger;
  },
): Promise<Pick<ReviewRecord, 'authors' | 'unmappedAuthors' | 'committer' | 'excluded' | 'github'>> => {
  const authors = authorChatIds([commit.author, ...commit.coAuthors], options.people);
  const committer = authorChatIds([commit.committer], options.people);
  const committerId = committer.ids[0];
  let github: ReviewRecord['github'];
  if (options.github) {
    try {
      const identity = await options.github(commit.sha);
      const logins = [identity.authorLogin, identity.committerLogin].filter(
        (login): login is string => login !== undefined,
      );
      github = {
        ...identity,
        chatIds: chatIdsOf(
          logins.map((login) => `@${login}`),
          options.owners,
        ).owners,
      };
    } catch (error) {
      options.logger.warn({ err: error, sha: commit.sha }, 'could not ask GitHub who wrote the commit');
      github = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  const excluded = new Set([...authors.ids, ...committer.ids]);
  if (github && !('error' in github)) for (const id of github.chatIds) excluded.add(id);
  return {
    authors: authors.ids,
    unmappedAuthors: [...authors.unmapped, ...committer.unmapped]
      .map(shown)
      .filter((person, index, all) => all.indexOf(person) === index),
    committer: { person: shown(commit.committer), ...(committerId ? { id: committerId } : {}) },
    excluded: [...excluded],
    ...(github ? { github } : {}),
  };
};
