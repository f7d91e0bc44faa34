/** Where the code lives (GitHub): what the engine tells it about commits, and asks it about them. */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  state: CommitState;
  /** `heckler/<pipeline>`: one status line per pipeline on the commit. */
  context: string;
  /** One line for people; the host cuts it at 140 characters. */
  description: string;
  targetUrl?: string;
}

/**
 * Who the host says made a commit. Git's author and committer are free text anyone can write;
 * these are the host's accounts, matched from the commit's emails, and its verdict on the signature.
 */
export interface CommitIdentity {
  /** The account of the author's email; absent when the host knows no account with it. */
  authorLogin?: string;
  /** The account of the committer's email (`web-flow` for commits made in GitHub's web UI). */
  committerLogin?: string;
  /** The host verified the commit's signature against a key of the committer's account. */
  verified: boolean;
  /** Why, in the host's words: `valid`, `unsigned`, `unknown_key`, `bad_email`, `no_user`… */
  verificationReason?: string;
}

export interface CodeHost {
  /** `repo` is the host's own `owner/name`. Rejects when the host refuses or cannot be reached. */
  setStatus(repo: string, sha: string, status: CommitStatus): Promise<void>;
  /**
   * Rejects with NOT_FOUND when the host has no such repository (for this token) or no such
   * commit in it (not pushed there), and REPO_UNAVAILABLE when it refuses, fails or is too slow.
   */
  commitIdentity(repo: string, sha: string): Promise<CommitIdentity>;
}
