import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { FakeWorkspace } from './slack-api-methods.js';

export { FAKE_TEAM } from './slack-api-methods.js';

/** One Web API call as Slack would see it: the method, its parsed arguments, the bearer token. */
export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  /** What the fake answered (set once answered; absent for a 429). */
  answer?: Record<string, unknown>;
}

/** One post to a response_url. */
export interface ResponsePost {
  id: string;
  body: Record<string, unknown>;
}

type Planned = { kind: 'error'; error: string } | { kind: 'ratelimit'; retryAfter: number };

/** A method another fake answers (its own token checks included), e.g. Socket Mode's apps.connections.open. */
export type ServedMethod = (
  args: Record<string, unknown>,
  token: string | undefined,
) => Record<string, unknown>;

/** Arguments Slack receives JSON-encoded inside form bodies (the Web API client flattens them so). */
const jsonArgs = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });

const parseArgs = (req: IncomingMessage, raw: Buffer): Record<string, unknown> => {
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/json'))
    return raw.length ? (JSON.parse(raw.toString()) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = { ...parseQuery(raw.toString()) };
  for (const key of Object.keys(args)) {
    if (jsonArgs.has(key) && typeof args[key] === 'string') args[key] = JSON.parse(args[key] as string);
  }
  return args;
};

/** The file's bytes in an upload: the body itself, or its one part when it came as multipart form data. */
const uploaded = (req: IncomingMessage, raw: Buffer): string => {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(req.headers['content-type'] ?? '');
  const text = raw.toString();
  if (!boundary) return text;
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const part = text.split(delimiter)[1] ?? '';
  return part.slice(part.indexOf('\r\n\r\n') + 4, part.lastIndexOf('\r\n'));
};

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};

/**
 * A local stand-in for Slack's Web API on 127.0.0.1, speaking the real protocol so the real
 * WebClient and Bolt run unmodified against it: form or JSON bodies, `Authorization: Bearer`,
 * `{ ok: false, error }` failures and 429 with Retry-After. It also serves response_url endpoints
 * and the external upload URLs of files.uploadV2.
 */
export class FakeSlackApi {
  readonly calls: SlackCall[] = [];
  readonly responses: ResponsePost[] = [];
  /** What reached the external upload URLs of files.uploadV2: the file's bytes, as text. */
  readonly uploads: { fileId: string; bytes: number; content: string }[] = [];
  private readonly planned = new Map<string, Planned[]>();
  private readonly served = new Map<string, ServedMethod>();
  private readonly waiters = new Set<() => void>();
  private readonly workspace: FakeWorkspace;

  private constructor(
    private readonly server: Server,
    readonly base: string,
    readonly tokens: readonly string[],
  ) {
    this.workspace = new FakeWorkspace(base);
  }

  /** `tokens`: the bearer tokens accepted; others get `invalid_auth`, none gets `not_authed`. */
  static async start(options: { tokens?: string[] } = {}): Promise<FakeSlackApi> {
    let fake: FakeSlackApi | undefined;
    const server = createServer((req, res) => {
      fake?.handle(req, res).catch((error: unknown) => send(res, 500, { ok: false, error: String(error) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    fake = new FakeSlackApi(server, base, options.tokens ?? ['xoxb-test-token']);
    return fake;
  }

  /** The `slackApiUrl` for WebClient options. */
  get apiUrl(): string {
    return `${this.base}api/`;
  }

  responseUrl(id: string): string {
    return `${this.base}response/${id}`;
  }

  /** The next call of `method` answers `{ ok: false, error }`. */
  failNext(method: string, error: string): void {
    this.plan(method, { kind: 'error', error });
  }

  /** The next `times` calls of `method` answer 429 with `Retry-After: seconds`. */
  rateLimitNext(method: string, retryAfter = 1, times = 1): void {
    for (let i = 0; i < times; i += 1) this.plan(method, { kind: 'ratelimit', retryAfter });
  }

  /** `method` is answered by `answer` instead of the workspace (planned failures still come first). */
  serve(method: string, answer: ServedMethod): void {
    this.served.set(method, answer);
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  responsesTo(id: string): ResponsePost[] {
    return this.responses.filter((post) => post.id === id);
  }

  /** Resolves with the first call of `method` (past or future) that satisfies `predicate`. */
  waitFor(
    method: string,
    predicate: (call: SlackCall) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<SlackCall> {
    return this.until(
      () => this.calls.find((c) => c.method === method && predicate(c)),
      `${method} call`,
      timeoutMs,
    );
  }

  waitForResponse(
    id: string,
    predicate: (post: ResponsePost) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<ResponsePost> {
    return this.until(
      () => this.responses.find((p) => p.id === id && predicate(p)),
      `response_url ${id} post`,
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private plan(method: string, planned: Planned): void {
    this.planned.set(method, [...(this.planned.get(method) ?? []), planned]);
  }

  private until<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`fake Slack: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = new URL(req.url ?? '/', this.base).pathname;
    const [, area, name = ''] = path.split('/');
    if (req.method !== 'POST') return send(res, 405, { ok: false, error: 'method_not_allowed' });
    if (area === 'response') {
      const body = JSON.parse(raw.toString()) as Record<string, unknown>;
      this.responses.push({ id: name, body });
      this.notify();
      const invalid = this.workspace.invalidBlocks(body.blocks, 50);
      if (invalid) return send(res, 400, { ok: false, error: 'invalid_blocks', errors: [invalid] });
      if (this.workspace.tooLong(body.blocks))
        return send(res, 400, { ok: false, error: 'msg_blocks_too_long' });
      return send(res, 200, { ok: true });
    }
    if (area === 'upload') {
      this.uploads.push({
        fileId: path.split('/').pop() ?? '',
        bytes: raw.length,
        content: uploaded(req, raw),
      });
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(`OK - ${raw.length}`);
    }
    if (area !== 'api') return send(res, 404, { ok: false, error: 'not_found' });
    const args = parseArgs(req, raw);
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : (args.token as string | undefined);
    delete args.token;
    const call: SlackCall = { method: name, args, token };
    this.calls.push(call);
    this.notify();
    const planned = this.planned.get(name)?.shift();
    if (planned?.kind === 'ratelimit') {
      return send(
        res,
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(planned.retryAfter) },
      );
    }
    const served = this.served.get(name);
    const answer =
      planned?.kind === 'error'
        ? { ok: false, error: planned.error }
        : served
          ? served(args, token)
          : !token
            ? { ok: false, error: 'not_authed' }
            : !this.tokens.includes(token)
              ? { ok: false, error: 'invalid_auth' }
              : this.workspace.answer(name, args);
    call.answer = answer;
    send(res, 200, answer);
  }
}
