/** Where the code lives (GitHub): what the engine tells it about commits. */
export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface CommitStatus {
  state: CommitState;
  /** `heckler/<pipeline>`: one status line per pipeline on the commit. */
  context: string;
  /** One line for people; the host cuts it at 140 characters. */
  description: string;
  targetUrl?: string;
}

export interface CodeHost {
  /** `repo` is the host's own `owner/name`. Rejects when the host refuses or cannot be reached. */
  setStatus(repo: string, sha: string, status: CommitStatus): Promise<void>;
}
