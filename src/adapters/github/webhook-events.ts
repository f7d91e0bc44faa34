import type { PullRequest } from '../../engine/builds/pull-requests.js';

/**
 * GitHub webhook payloads as the bot uses them, read defensively: a signed delivery is GitHub's,
 * but its fields still end up in git arguments, store keys and chat, so each one is checked for
 * the shape GitHub documents and anything else is refused rather than guessed at.
 */
export type WebhookEvent =
  | { kind: 'ping' }
  /** A push to `ref` of `repo` (`owner/name`); `after` is the new tip (zeros when deleted). */
  | { kind: 'push'; repo: string; ref: string; after: string; deleted: boolean }
  | { kind: 'pull_request'; pr: PullRequest }
  /** Understood, but nothing to do (another event, a closed pull request): `why` says so. */
  | { kind: 'ignored'; why: string }
  /** Not the shape GitHub sends: refused (400). */
  | { kind: 'invalid'; why: string };

const REPO = /^[\w.-]{1,100}\/[\w.-]{1,100}$/;
const SHA = /^[0-9a-f]{40}$/;
/** GitHub logins: letters, digits and single hyphens, up to 39; apps add `[bot]`. */
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;
/** Git forbids control characters, spaces and these in ref names; GitHub caps their length. */
const REF = /^(?!-)[^\0-\x20\x7f~^:?*[\\]{1,255}$/;
/** The actions that put new code at a pull request's head. */
const BUILT_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown, pattern: RegExp): string | undefined =>
  typeof value === 'string' && pattern.test(value) ? value : undefined;

const fullName = (repo: unknown): string | undefined =>
  isRecord(repo) ? text(repo.full_name, REPO) : undefined;

const readPush = (body: Record<string, unknown>): WebhookEvent => {
  const repo = fullName(body.repository);
  const ref = text(body.ref, REF);
  const after = text(body.after, SHA);
  if (!repo || !ref || !after) return { kind: 'invalid', why: 'a push without repository, ref or after' };
  return { kind: 'push', repo, ref, after, deleted: body.deleted === true };
};

const readPullRequest = (body: Record<string, unknown>): WebhookEvent => {
  const action = typeof body.action === 'string' ? body.action.slice(0, 40) : '';
  const pr = body.pull_request;
  const number = body.number;
  if (!isRecord(pr) || !isRecord(pr.head) || !isRecord(pr.base))
    return { kind: 'invalid', why: 'a pull_request event without pull_request.head and base' };
  if (!BUILT_ACTIONS.has(action)) return { kind: 'ignored', why: `pull request ${action || 'event'}` };
  const repo = fullName(pr.base.repo);
  const headSha = text(pr.head.sha, SHA);
  const headRef = text(pr.head.ref, REF);
  const baseRef = text(pr.base.ref, REF);
  const author = isRecord(pr.user) ? text(pr.user.login, LOGIN) : undefined;
  if (
    !repo ||
    !headSha ||
    !headRef ||
    !baseRef ||
    !author ||
    typeof number !== 'number' ||
    !Number.isSafeInteger(number) ||
    number < 1
  )
    return { kind: 'invalid', why: 'a pull request without number, head, base or author' };
  // A head repository that is gone (the fork was deleted) is someone else's as surely as a fork.
  const headRepo = fullName(pr.head.repo);
  const fork = headRepo === undefined || headRepo.toLowerCase() !== repo.toLowerCase();
  return { kind: 'pull_request', pr: { repo, number, headSha, headRef, baseRef, author, fork } };
};

/** The delivery's event (the `X-GitHub-Event` header) and its JSON body. */
export const readWebhookEvent = (event: string, body: unknown): WebhookEvent => {
  if (!isRecord(body)) return { kind: 'invalid', why: 'the body is not a JSON object' };
  if (event === 'ping') return { kind: 'ping' };
  if (event === 'push') return readPush(body);
  if (event === 'pull_request') return readPullRequest(body);
  return { kind: 'ignored', why: `${/^[a-z_]{1,40}$/.test(event) ? event : 'unknown'} events are not used` };
};
