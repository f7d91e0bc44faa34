import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDispatcher, createRegistry } from '../../src/commands/index.js';
import type { Services } from '../../src/commands/types.js';
import type { StoredIgnore } from '../../src/engine/delta/ignores.js';
import { createIgnoreService } from '../../src/engine/ignores/service.js';
import { createNodeLocks } from '../../src/engine/locks/node-locks.js';
import type { Clock, Message, NodeTransport, Store } from '../../src/engine/ports/index.js';
import type { AuditEntry } from '../../src/engine/review/records.js';
import { createReviewService, type ReviewServiceDeps } from '../../src/engine/review/service.js';
import type { AppliedState } from '../../src/engine/runs/applied-state.js';
import { createFleetService } from '../../src/engine/runs/fleet-service.js';
import { createStorage } from '../../src/storage/keyv.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';

/** Ignores need the inventory and the store only: nothing may reach a node or the repository. */
const unreachable = (): never => {
  throw new Error('ignore commands must not talk to nodes or the repository');
};
const noTransport: NodeTransport = { exec: unreachable, check: unreachable, close: async () => {} };
const DAY = 86_400_000;

let chat: RecordingChat;
let clock: Clock & { at: number };
let audit: Store<AuditEntry>;
let ask: (user: string, text: string) => Promise<string>;

beforeEach(async () => {
  const config = testConfig({
    users: { U0ADMIN: 'ada', U0APPROVER: 'abe', U0OTHER: 'oli', U0NOBODY: 'nob' },
    roles: { admins: ['U0ADMIN'], approvers: ['U0APPROVER', 'U0OTHER'] },
    fleet: { nodes: { web1: null, web2: null, web3: null }, sets: { canaries: { nodes: ['web1', 'web2'] } } },
  });
  const { logger } = captureLogger();
  const storage = await createStorage({
    dataDir: mkdtempSync(join(tmpdir(), 'heckler-ignorecmd-')),
    keyPrefix: 't',
  });
  chat = new RecordingChat();
  clock = { at: Date.UTC(2030, 0, 1, 9), now: () => clock.at };
  audit = storage.store<AuditEntry>('audit');
  const fleet = createFleetService({
    repo: new Proxy({}, { get: unreachable }) as never,
    transport: noTransport,
    fleet: config.fleet,
    puppet: config.puppet,
    applied: storage.store<AppliedState>('applied'),
    runCommand: unreachable,
    clock,
    logger,
  });
  const ignores = createIgnoreService({ store: storage.store<StoredIgnore>('ignores'), audit, clock });
  // The audit command reads the log through the review service; nothing else of it may run here.
  const reviews = createReviewService(
    new Proxy({ audit, ignores } as Partial<ReviewServiceDeps>, {
      get: (target, key) => (key in target ? target[key as keyof ReviewServiceDeps] : unreachable()),
    }) as ReviewServiceDeps,
  );
  const services: Services = {
    chat,
    config,
    commands: createRegistry(),
    clock,
    logger,
    version: 'test',
    nodeLocks: createNodeLocks(storage.locks, clock),
    fleet,
    reviews,
  };
  const dispatcher = createDispatcher(services);
  ask = async (user, line) => {
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: line,
      user,
      channel: 'C1',
      respond: async (m) => void answers.push(m),
    });
    return answers.map((m) => m.text).join('\n');
  };
});

const posted = () => chat.events.flatMap((e) => (e.kind === 'post' ? [e.message.text] : []));
const idIn = (text: string | undefined) => /\(id `([0-9a-f]{6})`\)/.exec(text ?? '')?.[1] ?? '';
const entries = async () => {
  const out: AuditEntry[] = [];
  for await (const [, entry] of audit.entries()) out.push(entry);
  return out.sort((a, b) => a.at - b.at);
};

describe('ignore, ignores, unignore', () => {
  it('ignores a resource everywhere for 30 days by default, lists it and audits it', async () => {
    expect(await ask('U0APPROVER', 'ignore Exec[refresh-cache] runs every time by design')).toBe('');
    const [said] = posted();
    const id = idIn(said);
    expect(said).toBe(
      `:mute: <@U0APPROVER> ignored \`Exec[refresh-cache]\` on every node until 2030-01-31 09:00 (id \`${id}\`): runs every time by design. Reviews show it collapsed and need no approval for it.`,
    );
    expect(await ask('U0NOBODY', 'ignores')).toBe(
      `1 ignore, oldest first:\n• \`${id}\` \`Exec[refresh-cache]\` on every node · by <@U0APPROVER> at 2030-01-01 09:00 · expires 2030-01-31 09:00 (in 30d) · runs every time by design`,
    );
    expect(await entries()).toEqual([
      {
        at: clock.at,
        user: 'U0APPROVER',
        action: 'ignore',
        reason: 'runs every time by design',
        via: 'command',
        surface: 'slack',
        ignore: { id, type: 'Exec', title: 'refresh-cache', expiresAt: clock.at + 30 * DAY },
      },
    ]);
    expect(await ask('U0NOBODY', 'audit')).toBe(
      `Decisions, newest first:\n• 2030-01-01 09:00 <@U0APPROVER> ignored \`Exec[refresh-cache]\` (ignore \`${id}\`, until 2030-01-31 09:00): runs every time by design (command)`,
    );
  });

  it('scopes to nodes or a set, with quoting for titles with spaces', async () => {
    await ask('U0ADMIN', 'ignore File[/etc/motd] banner tool --nodes web3 --for 7d');
    await ask('U0ADMIN', 'ignore "Exec[apt-get update]" runs every time --set canaries');
    const listed = await ask('U0NOBODY', 'ignores');
    expect(listed).toContain('`File[/etc/motd]` on web3 · by <@U0ADMIN>');
    expect(listed).toContain('expires 2030-01-08 09:00 (in 7d)');
    expect(listed).toContain('`Exec[apt-get update]` on set canaries (web1, web2) · by <@U0ADMIN>');
    expect((await entries()).map((e) => [e.ignore?.nodes, e.ignore?.set])).toEqual([
      [['web3'], undefined],
      [['web1', 'web2'], 'canaries'],
    ]);
  });

  it('expires by the clock: gone from the list, no longer removable', async () => {
    await ask('U0ADMIN', 'ignore File[/tmp/x] scratch --for 2h');
    const id = idIn(posted()[0]);
    clock.at += 2 * 3_600_000 - 1;
    expect(await ask('U0NOBODY', 'ignores')).toContain('(in 1ms)');
    clock.at += 1;
    expect(await ask('U0NOBODY', 'ignores')).toBe(
      'No resource is ignored from chat (rules in heckler.yml `approvals.ignore` still apply).',
    );
    expect(await ask('U0ADMIN', `unignore ${id}`)).toMatch(new RegExp(`no active ignore ${id}`));
  });

  it('unignore: its author, approvers and admins; audited', async () => {
    await ask('U0APPROVER', 'ignore File[/tmp/x] scratch');
    const id = idIn(posted()[0]);
    expect(await ask('U0NOBODY', `unignore ${id}`)).toMatch(
      /ignore [0-9a-f]{6} was made by <@U0APPROVER>; only they, approvers or admins may remove it/,
    );
    expect(await ask('U0OTHER', `unignore ${id}`)).toBe('');
    expect(posted()[1]).toBe(
      `:loud_sound: <@U0OTHER> removed ignore \`${id}\` of \`File[/tmp/x]\` on every node (scratch): reviews need approval for it again.`,
    );
    expect(await ask('U0NOBODY', 'ignores')).toMatch(/^No resource is ignored/);
    expect((await entries()).map((e) => [e.action, e.user, e.ignore?.id])).toEqual([
      ['ignore', 'U0APPROVER', id],
      ['unignore', 'U0OTHER', id],
    ]);
    expect(await ask('U0NOBODY', 'audit')).toContain(
      `<@U0OTHER> removed the ignore of \`File[/tmp/x]\` (ignore \`${id}\`, until 2030-01-31 09:00): scratch (command)`,
    );
  });

  it('refuses users without the role, naming it', async () => {
    expect(await ask('U0NOBODY', 'ignore File[/tmp/x] scratch')).toMatch(/`ignore` needs the approver role/);
    expect(posted()).toEqual([]);
    expect(await entries()).toEqual([]);
  });

  it.each([
    [
      'ignore File/etc/motd noise',
      /'File\/etc\/motd' is not a valid RESOURCE: expected TYPE\[TITLE\] such as File\[\/etc\/motd\]/,
    ],
    [
      'ignore Exec[apt-get update] noise',
      /'Exec\[apt-get' is not a valid RESOURCE: .*quote a title with spaces/,
    ],
    ['ignore File[/x]', /missing REASON/],
    ['ignore File[/x] noise --for 366d', /--for must be between 1s and 365d, not 366d/],
    ['ignore File[/x] noise --for soon', /'soon' is not a valid DURATION for --for/],
    [
      'ignore File[/x] noise --nodes web9',
      /unknown node 'web9' \(did you mean 'web1'\?\); known: web1, web2, web3/,
    ],
    ['ignore File[/x] noise --set cannaries', /unknown set 'cannaries' \(did you mean 'canaries'\?\)/],
    ['ignore File[/x] noise --set canaries --nodes web1', /give either --nodes or --set, not both/],
    ['unignore nope', /'nope' is not a valid ID: expected an ignore id such as 3f9c2e/],
    ['unignore abcdef', /no active ignore abcdef/],
  ])('%s → %s', async (line, expected) => {
    expect(await ask('U0ADMIN', line)).toMatch(expected);
    expect(posted()).toEqual([]);
  });

  it('escapes the reason and the title in every view', async () => {
    await ask('U0ADMIN', 'ignore "File[/tmp/<!here>]" see <!channel> & <https://evil|docs>');
    const id = idIn(posted()[0]);
    const views = [posted()[0] ?? '', await ask('U0NOBODY', 'ignores'), await ask('U0NOBODY', 'audit')];
    await ask('U0ADMIN', `unignore ${id}`);
    views.push(posted()[1] ?? '', await ask('U0NOBODY', 'audit'));
    for (const view of views) {
      expect(view).toContain('see &lt;!channel&gt; &amp; &lt;https://evil|docs&gt;');
      expect(view).toContain('`File[/tmp/&lt;!here&gt;]`');
      expect(view).not.toMatch(/<!|<https/);
    }
  });
});
