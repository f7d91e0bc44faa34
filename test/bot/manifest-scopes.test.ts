import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * manifest.yml asks for exactly the OAuth scopes the code needs: every Slack Web API method the
 * code calls (found by reading src/, so a call added anywhere is caught) has its scope declared,
 * and every declared scope is needed by a method, an event or a feature. A method missing from
 * the table below fails the test until someone looks its scope up.
 */

const ROOT = join(import.meta.dirname, '../..');

/**
 * Bot token scopes per Web API method, from Slack's method reference
 * (https://docs.slack.dev/reference/methods/METHOD, "Required scopes: Bot token"). Several
 * scopes for one method mean any one of them will do (conversations.info takes channels:read for
 * public channels, groups:read for private ones…); the first is the one the manifest declares.
 */
const METHOD_SCOPES: Record<string, readonly string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.getPermalink': [],
  'conversations.info': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'views.open': [],
  'views.update': [],
  'views.push': [],
  'views.publish': [],
  'users.info': ['users:read'],
  'users.lookupByEmail': ['users:read.email'],
  'usergroups.list': ['usergroups:read'],
  'usergroups.users.list': ['usergroups:read'],
  'reactions.add': ['reactions:write'],
  'conversations.open': ['im:write'],
};

/** The WebClient's helpers that are several methods underneath. */
const COMPOSITE: Record<string, readonly string[]> = {
  'files.uploadV2': ['files.getUploadURLExternal', 'files.completeUploadExternal'],
};

/**
 * Called with the app-level token (xapp-…), whose scope, connections:write, is chosen when the
 * token is made in the app's settings: it is not a bot scope and has no place in oauth_config.
 */
const APP_TOKEN_METHODS = new Set(['apps.connections.open']);

/** Scopes events need (https://docs.slack.dev/reference/events/EVENT, "Required scopes"). */
const EVENT_SCOPES: Record<string, readonly string[]> = {
  app_home_opened: [],
  app_mention: ['app_mentions:read'],
  'message.im': ['im:history'],
};

/** Slack's method families: what a WebClient call (`client.chat.postMessage(`) starts with. */
const FAMILIES =
  'admin|api|apps|assistant|auth|bookmarks|bots|calls|canvases|chat|conversations|dialog|dnd|emoji|files|functions|migration|oauth|openid|pins|reactions|reminders|rtm|search|stars|team|tooling|usergroups|users|views|workflows';

/**
 * Every Web API method a source text calls: through a WebClient (`client.x.y(`, `this.client`,
 * `app.client`, Bolt's `{ client }`), by name (`apiCall('x.y')`), or named for SlackChat's
 * Retry-After wrapper (`call('x.y', …)`, `callSlack('x.y', …)`). The Chat port's own methods
 * (`chat.post(`, `chat.update(ref, …)`) are not Slack calls and are not matched.
 */
const slackMethodsIn = (source: string): string[] => {
  const found = new Set<string>();
  const viaClient = new RegExp(
    `\\bclient\\??\\.(${FAMILIES})\\.([a-zA-Z0-9]+(?:\\.[a-zA-Z0-9]+)*)\\s*\\(`,
    'g',
  );
  for (const match of source.matchAll(viaClient)) found.add(`${match[1]}.${match[2]}`);
  const byName = new RegExp(
    `\\b(?:apiCall|call|callSlack)\\s*(?:<[^>]*>)?\\(\\s*['"\`]((?:${FAMILIES})\\.[a-zA-Z0-9.]+)['"\`]`,
    'g',
  );
  for (const match of source.matchAll(byName)) found.add(match[1] as string);
  return [...found].sort();
};

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });

/** method → the files calling it, over all of src/. */
const calledMethods = (): Map<string, string[]> => {
  const calls = new Map<string, string[]>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    for (const method of slackMethodsIn(readFileSync(file, 'utf8'))) {
      for (const underneath of COMPOSITE[method] ?? [method])
        calls.set(underneath, [...(calls.get(underneath) ?? []), relative(ROOT, file)]);
    }
  }
  return calls;
};

interface Manifest {
  features: { slash_commands?: unknown[]; shortcuts?: unknown[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions?: { bot_events?: string[] } };
}

const manifest = parse(readFileSync(join(ROOT, 'manifest.yml'), 'utf8')) as Manifest;

/** Methods the code calls whose scope the manifest lacks, with where they are called. */
const missingScopes = (calls: Map<string, string[]>, declared: readonly string[]): string[] =>
  [...calls.keys()]
    .filter((m) => !APP_TOKEN_METHODS.has(m))
    .filter((m) => {
      const scopes = METHOD_SCOPES[m] ?? [];
      return scopes.length > 0 && !scopes.some((s) => declared.includes(s));
    })
    .map((m) => `${m} needs ${METHOD_SCOPES[m]?.[0]} (called in ${calls.get(m)?.join(', ')})`);

/** Scopes declared that no called method, subscribed event or feature needs. */
const unusedScopes = (calls: Map<string, string[]>, m: Manifest): string[] => {
  const declared = m.oauth_config.scopes.bot;
  const needed = new Set<string>();
  for (const method of calls.keys()) {
    // Of several scopes that would do, the one the manifest declares.
    const used = (METHOD_SCOPES[method] ?? []).find((s) => declared.includes(s));
    if (used) needed.add(used);
  }
  for (const event of m.settings.event_subscriptions?.bot_events ?? [])
    for (const scope of EVENT_SCOPES[event] ?? []) needed.add(scope);
  // Slash commands and shortcuts need `commands`.
  if ((m.features.slash_commands ?? []).length + (m.features.shortcuts ?? []).length > 0)
    needed.add('commands');
  return declared.filter((scope) => !needed.has(scope));
};

const withScopes = (bot: string[]): Manifest => ({ ...manifest, oauth_config: { scopes: { bot } } });

describe('finding the Web API calls in source text', () => {
  it.each([
    ['this.client.chat.postMessage({ channel })', ['chat.postMessage']],
    ['await client.views.open({ trigger_id, view })', ['views.open']],
    ['app.client.usergroups.users.list({ usergroup })', ['usergroups.users.list']],
    ['({ client }) => client?.conversations.info({ channel })', ['conversations.info']],
    ["this.call('chat.getPermalink', () => x)", ['chat.getPermalink']],
    ["callSlack('views.publish', run)", ['views.publish']],
    ["client.apiCall('usergroups.list', {})", ['usergroups.list']],
    ['this.client.files.uploadV2(args)', ['files.uploadV2']],
    // The Chat port and other libraries are not Slack's Web API.
    ['await deps.chat.post(channel, message); chat.update(ref, m); chat.upload(c, f)', []],
    ['octokit.rest.users.getAuthenticated(); this.octokit.rest.repos.createCommitStatus({})', []],
    ["logger.info({ method: 'chat.postMessage' })", []],
  ])('%s', (source, methods) => {
    expect(slackMethodsIn(source)).toEqual(methods);
  });
});

describe('the checks bite', () => {
  const calls = new Map([
    ['chat.postMessage', ['src/a.ts']],
    ['usergroups.list', ['src/b.ts']],
    ['apps.connections.open', ['src/c.ts']],
  ]);
  it.each([
    [['commands', 'chat:write', 'usergroups:read'], [], []],
    [['commands', 'chat:write'], ['usergroups.list needs usergroups:read (called in src/b.ts)'], []],
    [['commands', 'chat:write', 'usergroups:read', 'users:read'], [], ['users:read']],
    [
      ['commands', 'usergroups:read', 'chat:write.public'],
      ['chat.postMessage needs chat:write (called in src/a.ts)'],
      ['chat:write.public'],
    ],
  ])('declared %j: missing %j, unused %j', (declared, missing, unused) => {
    expect(missingScopes(calls, declared)).toEqual(missing);
    expect(unusedScopes(calls, withScopes(declared))).toEqual(unused);
  });
});

describe('manifest.yml declares exactly the scopes the code uses', () => {
  const calls = calledMethods();
  const declared = manifest.oauth_config.scopes.bot;

  it('finds the calls the bot is known to make (the search is not blind)', () => {
    for (const method of ['auth.test', 'chat.postMessage', 'chat.update', 'views.publish'])
      expect(calls.has(method), method).toBe(true);
    expect(calls.has('files.completeUploadExternal')).toBe(true);
  });

  it('knows the scope of every method the code calls', () => {
    const unknown = [...calls.keys()].filter((m) => !(m in METHOD_SCOPES) && !APP_TOKEN_METHODS.has(m));
    expect(
      unknown.map((m) => `${m} (called in ${calls.get(m)?.join(', ')})`),
      'add these to METHOD_SCOPES with the bot scope from https://docs.slack.dev/reference/methods/METHOD',
    ).toEqual([]);
  });

  it('declares a scope for every method called', () => {
    expect(
      missingScopes(calls, declared),
      'add the scopes to oauth_config.scopes.bot in manifest.yml',
    ).toEqual([]);
  });

  it('declares the scope of every event it subscribes to', () => {
    for (const event of manifest.settings.event_subscriptions?.bot_events ?? []) {
      expect(event in EVENT_SCOPES, `${event}: add it to EVENT_SCOPES`).toBe(true);
      for (const scope of EVENT_SCOPES[event] ?? []) expect(declared, event).toContain(scope);
    }
  });

  it('declares nothing the code does not use', () => {
    expect(
      unusedScopes(calls, manifest),
      'drop these from manifest.yml, or name the call that needs them',
    ).toEqual([]);
  });
});
