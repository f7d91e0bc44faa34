import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StatusCall {
  owner: string;
  repo: string;
  sha: string;
  body: { state?: string; context?: string; description?: string; target_url?: string };
  authorization: string | undefined;
}

const states = ['error', 'failure', 'pending', 'success'];

/**
 * A local stand-in for the few GitHub REST endpoints Heckler uses (commit statuses), answering
 * with GitHub's response shapes and status codes, so the real octokit runs against it unchanged.
 * Calls are recorded, good or refused.
 */
export class FakeGitHubApi {
  readonly statuses: StatusCall[] = [];
  /** Answer the next N status calls with this HTTP status (500, 502…) instead of 201. */
  failNext: { count: number; status: number } = { count: 0, status: 500 };
  private nextId = 1;

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

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const route = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !route)
      return send(res, 404, { message: 'Not Found', documentation_url: DOCS });
    const [, owner = '', repo = '', sha = ''] = route;
    let body: StatusCall['body'] = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return send(res, 400, { message: 'Problems parsing JSON', documentation_url: DOCS });
    }
    const authorization = req.headers.authorization;
    this.statuses.push({ owner, repo, sha, body, authorization });
    if (authorization !== `token ${this.token}`) {
      return send(res, 401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
    }
    if (this.failNext.count > 0) {
      this.failNext.count -= 1;
      return send(res, this.failNext.status, { message: 'Server Error' });
    }
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
      creator: {
        login: 'heckler-bot',
        id: 1,
        node_id: 'MDQ6VXNlcjE=',
        avatar_url: 'https://avatars.githubusercontent.com/u/1?v=4',
        url: 'https://api.github.com/users/heckler-bot',
        html_url: 'https://github.com/heckler-bot',
        type: 'Bot',
        site_admin: false,
      },
    });
  }
}

const DOCS = 'https://docs.github.com/rest/commits/statuses#create-a-commit-status';

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
};
