import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StatusCall {
  owner: string;
  repo: string;
  sha: string;
  body: { state?: string; context?: string; description?: string; target_url?: string };
  authorization: string | undefined;
}

/** A commit read (`GET /repos/{owner}/{repo}/commits/{ref}`), good or refused. */
export interface CommitRead {
  owner: string;
  repo: string;
  ref: string;
  authorization: string | undefined;
}

/** What GitHub knows about a commit, seeded by a test. */
export interface CommitSeed {
  /** The author's account; null when GitHub matches the author's email to no account. */
  authorLogin: string | null;
  /** The committer's account; null as for the author. Defaults to the author's. */
  committerLogin?: string | null;
  verified: boolean;
  /** GitHub's reason; `valid` when verified, else `unsigned` unless given. */
  reason?: string;
}

const states = ['error', 'failure', 'pending', 'success'];

/**
 * A local stand-in for the few GitHub REST endpoints Heckler uses (commit statuses, reading a
 * commit), answering with GitHub's response shapes and status codes, so the real octokit runs
 * against it unchanged. Calls are recorded, good or refused.
 */
export class FakeGitHubApi {
  readonly statuses: StatusCall[] = [];
  readonly commitReads: CommitRead[] = [];
  /** Answer the next N authorized calls with this HTTP status (500, 502…) instead of success. */
  failNext: { count: number; status: number } = { count: 0, status: 500 };
  /** Never answer the next N authorized calls (until `stop`), as a GitHub that hangs. */
  stallNext = 0;
  private nextId = 1;
  /** `owner/repo` → lower-case SHA → what GitHub knows of the commit. */
  private readonly commits = new Map<string, Map<string, CommitSeed>>();

  private constructor(
    private readonly server: Server,
    readonly token: string,
  ) {}

  static async start({ token }: { token: string }): Promise<FakeGitHubApi> {
    let fake: FakeGitHubApi | undefined;
    const server = createServer((req, res) => void fake?.handle(req, res));
    fake = new FakeGitHubApi(server, token);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Statuses that were accepted (201), in order. */
  accepted(): StatusCall[] {
    return this.statuses.filter((call) => call.authorization === `token ${this.token}`);
  }

  /** Makes `repo` (`owner/name`) exist with this commit in it. */
  addCommit(repo: string, sha: string, seed: CommitSeed): void {
    const commits = this.commits.get(repo) ?? new Map<string, CommitSeed>();
    commits.set(sha.toLowerCase(), seed);
    this.commits.set(repo, commits);
  }

  /** Makes `repo` exist, with no commits GitHub knows of yet. */
  addRepo(repo: string): void {
    if (!this.commits.has(repo)) this.commits.set(repo, new Map());
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '';
    const status = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(url);
    const commit = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/?]+)$/.exec(url);
    if (req.method === 'POST' && status) return this.createStatus(req, res, status, Buffer.concat(chunks));
    if (req.method === 'GET' && commit) return this.getCommit(req, res, commit);
    return send(res, 404, { message: 'Not Found', documentation_url: DOCS });
  }

  /**
   * Answers (or holds) a call GitHub would refuse or the test wants failed; the token is checked
   * first, as GitHub does.
   */
  private intercepted(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.headers.authorization !== `token ${this.token}`) {
      send(res, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
      return true;
    }
    if (this.stallNext > 0) {
      this.stallNext -= 1;
      return true;
    }
    if (this.failNext.count > 0) {
      this.failNext.count -= 1;
      send(res, this.failNext.status, { message: 'Server Error' });
      return true;
    }
    return false;
  }

  private createStatus(req: IncomingMessage, res: ServerResponse, route: RegExpExecArray, raw: Buffer) {
    const [, owner = '', repo = '', sha = ''] = route;
    let body: StatusCall['body'] = {};
    try {
      body = JSON.parse(raw.toString('utf8') || '{}');
    } catch {
      return send(res, 400, { message: 'Problems parsing JSON', documentation_url: DOCS });
    }
    this.statuses.push({ owner, repo, sha, body, authorization: req.headers.authorization });
    if (this.intercepted(req, res)) return;
    if (!states.includes(body.state ?? '')) {
      return send(res, 422, {
        message: 'Validation Failed',
        errors: [
          {
            resource: 'Status',
            field: 'state',
            code: 'custom',
            message: 'state is not included in the list',
          },
        ],
        documentation_url: DOCS,
        status: '422',
      });
    }
    const id = this.nextId++;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    send(res, 201, {
      url: `https://api.github.com/repos/${owner}/${repo}/statuses/${sha}`,
      avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
      id,
      node_id: Buffer.from(`010:StatusContext${id}`).toString('base64'),
      state: body.state,
      description: body.description ?? null,
      target_url: body.target_url ?? null,
      context: body.context ?? 'default',
      created_at: now,
      updated_at: now,
      creator: user('heckler-bot', 1, 'Bot'),
    });
  }

  private getCommit(req: IncomingMessage, res: ServerResponse, route: RegExpExecArray) {
    const [, owner = '', repo = '', encoded = ''] = route;
    const ref = decodeURIComponent(encoded);
    this.commitReads.push({ owner, repo, ref, authorization: req.headers.authorization });
    if (this.intercepted(req, res)) return;
    const commits = this.commits.get(`${owner}/${repo}`);
    if (!commits)
      return send(res, 404, { message: 'Not Found', documentation_url: COMMIT_DOCS, status: '404' });
    const seed = commits.get(ref.toLowerCase());
    if (!seed) {
      return send(res, 422, {
        message: `No commit found for SHA: ${ref}`,
        documentation_url: COMMIT_DOCS,
        status: '422',
      });
    }
    send(res, 200, commitBody(owner, repo, ref.toLowerCase(), seed));
  }
}

const DOCS = 'https://docs.github.com/rest/commits/statuses#create-a-commit-status';
const COMMIT_DOCS = 'https://docs.github.com/rest/commits/commits#get-a-commit';
const DATE = '2024-05-01T12:00:00Z';

/** A GitHub user as it appears inside other objects ("simple user"). */
const user = (login: string, id: number, type = 'User') => ({
  login,
  id,
  node_id: Buffer.from(`04:User${id}`).toString('base64'),
  avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
  gravatar_id: '',
  url: `https://api.github.com/users/${login}`,
  html_url: `https://github.com/${login}`,
  type,
  site_admin: false,
});

const account = (login: string | null) => (login === null ? null : user(login, 1000 + login.length));

/** `GET /repos/{owner}/{repo}/commits/{ref}`'s 200 body, fields as GitHub sends them. */
const commitBody = (owner: string, repo: string, sha: string, seed: CommitSeed) => {
  const api = `https://api.github.com/repos/${owner}/${repo}`;
  const committerLogin = seed.committerLogin === undefined ? seed.authorLogin : seed.committerLogin;
  const signed = seed.verified || (seed.reason !== undefined && seed.reason !== 'unsigned');
  const person = (login: string | null) => ({
    name: login ?? 'Someone Unknown',
    email: login ? `${login}@users.noreply.github.com` : 'someone@unknown.example',
    date: DATE,
  });
  return {
    sha,
    node_id: Buffer.from(`C_${sha}`).toString('base64'),
    commit: {
      author: person(seed.authorLogin),
      committer: person(committerLogin),
      message: 'a commit',
      tree: { sha: 'f'.repeat(40), url: `${api}/git/trees/${'f'.repeat(40)}` },
      url: `${api}/git/commits/${sha}`,
      comment_count: 0,
      verification: {
        verified: seed.verified,
        reason: seed.reason ?? (seed.verified ? 'valid' : 'unsigned'),
        signature: signed ? '-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----' : null,
        payload: signed ? `tree ${'f'.repeat(40)}\n` : null,
        verified_at: seed.verified ? DATE : null,
      },
    },
    url: `${api}/commits/${sha}`,
    html_url: `https://github.com/${owner}/${repo}/commit/${sha}`,
    comments_url: `${api}/commits/${sha}/comments`,
    author: account(seed.authorLogin),
    committer: account(committerLogin),
    parents: [],
    stats: { total: 1, additions: 1, deletions: 0 },
    files: [],
  };
};

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
};
