import { describe, expect, it } from 'vitest';
import { ASK_PREFIX, parseAskValue, toBlockKit } from '../../src/bot/render/blocks.js';
import { metadataKey, signMetadata, verifyMetadata } from '../../src/bot/slack/modal-metadata.js';
import {
  applyModal,
  askModal,
  MAX_ERROR,
  modalError,
  selectOptions,
} from '../../src/bot/slack/modal-views.js';
import { quoteWords, withRestArgument } from '../../src/commands/command-line.js';
import { createDispatcher, createRegistry } from '../../src/commands/index.js';
import { parseCommand, tokenize } from '../../src/commands/parse.js';
import {
  approveButton,
  confirmApplyButton,
  denyButton,
  dropPlanButton,
  forceUnlockButton,
  stopApplyButton,
} from '../../src/commands/views/decision-buttons.js';
import type { ApplyRecord } from '../../src/engine/apply/records.js';
import { systemClock } from '../../src/engine/ports/index.js';
import type { Button, Message } from '../../src/engine/ports/message.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { embeddedNodeLocks } from '../support/node-locks.js';

/** Confirm dialogs and modals as Slack receives them: present where the issue lists them, within limits. */

type Element = {
  action_id: string;
  value: string;
  confirm?: {
    title: { text: string };
    text: { text: string };
    confirm: { text: string };
    deny: { text: string };
    style?: string;
  };
};

const rendered = (buttons: Button[]): Element[] =>
  toBlockKit({ text: 't', blocks: [{ kind: 'actions', buttons }] }).blocks.flatMap(
    (block) => ((block as { elements?: Element[] }).elements ?? []) as Element[],
  );

const plan = (revision: string, nodes: number) =>
  ({
    id: 7,
    revision,
    shortSha: '3f9c2e1',
    nodes: Array.from({ length: nodes }, (_, i) => ({ node: `web${i}` })),
  }) as unknown as ApplyRecord;

const commit = { shortSha: '3f9c2e1', pinned: '3f9c2e1aaaa@9a8b7c6d', nodes: 12 };

describe('confirm dialogs on the buttons that change production or decide a review', () => {
  const hostile = `v${'9'.repeat(150)}<!channel>&<@U0X>`;
  const cases: [string, Button, RegExp][] = [
    ['Approve', approveButton(commit), /^Approve 3f9c2e1\?$/],
    ['Deny', denyButton(commit), /^Deny 3f9c2e1\?$/],
    ['Confirm apply', confirmApplyButton(plan('v2.1', 12)), /^Apply v2\.1 to 12 nodes\?$/],
    ['Cancel a plan', dropPlanButton(plan('v2.1', 12)), /^Drop apply plan #7\?$/],
    ['Cancel a running apply', stopApplyButton(plan('v2.1', 12)), /^Stop apply #7\?$/],
    ['forced unlock', forceUnlockButton('web1', '<@U0ALICE>'), /^Force-unlock web1\?$/],
    [
      'Confirm apply of a hostile revision',
      confirmApplyButton(plan(hostile, 1)),
      /^Apply v9{38}… to 1 node\?$/,
    ],
  ];
  it.each(cases)('%s carries a confirm within Slack’s limits', (_, button, title) => {
    const [element] = rendered([button]);
    const confirm = element?.confirm;
    expect(confirm?.title.text).toMatch(title);
    expect(confirm?.title.text.length).toBeLessThanOrEqual(100);
    expect(confirm?.text.text.length).toBeLessThanOrEqual(300);
    expect(confirm?.confirm.text.length).toBeLessThanOrEqual(30);
    expect(confirm?.deny.text.length).toBeLessThanOrEqual(30);
    expect(confirm?.text.text).not.toContain('<!channel>');
    if (button.style === 'danger') expect(confirm?.style).toBe('danger');
  });

  it('Confirm names the revision and how many nodes it locks', () => {
    const [element] = rendered([confirmApplyButton(plan('v2.1', 1))]);
    expect(element?.confirm?.title.text).toBe('Apply v2.1 to 1 node?');
    expect(element?.confirm?.text.text).toContain(
      'Locks 1 node and applies *v2.1* (`3f9c2e1`) to production',
    );
  });

  it('Deny is an asking button: its value carries the command and the question; plain buttons keep their command', () => {
    const [approve, deny] = rendered([approveButton(commit), denyButton(commit)]);
    expect(approve?.action_id).toMatch(/^heckler:\d+$/);
    expect(approve?.value).toBe(`approve ${commit.pinned}`);
    expect(deny?.action_id).toMatch(new RegExp(`^${ASK_PREFIX}\\d+$`));
    expect(parseAskValue(deny?.value)).toEqual({
      command: `deny ${commit.pinned}`,
      ask: denyButton(commit).ask,
    });
  });

  it.each([
    ['not json'],
    ['{}'],
    ['{"command":1,"ask":{}}'],
    ['{"command":"deny x","ask":{"title":"t","label":"l"}}'],
    ['null'],
  ])('parseAskValue refuses %s', (value) => expect(parseAskValue(value)).toBeUndefined());
});

describe('the modals within Slack’s limits', () => {
  it('cuts an ask modal’s title and buttons to 24 characters and the placeholder to 150', () => {
    const view = askModal(
      {
        title: 'T'.repeat(80),
        label: 'L'.repeat(3000),
        placeholder: 'P'.repeat(400),
        submit: 'S'.repeat(40),
      },
      'm',
    );
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(view.submit?.text.length).toBeLessThanOrEqual(24);
    const input = view.blocks[0] as { label: { text: string }; element: { placeholder: { text: string } } };
    expect(input.label.text.length).toBeLessThanOrEqual(2000);
    expect(input.element.placeholder.text.length).toBeLessThanOrEqual(150);
  });

  it('offers at most 100 options, never one whose value Slack would cut', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({
      label: `tag-${i}-${'x'.repeat(100)}`,
      value: `tag-${i}`,
    }));
    const options = selectOptions([{ label: 'long', value: 'v'.repeat(151) }, ...many]);
    expect(options).toHaveLength(100);
    expect(options[0]?.value).toBe('tag-0');
    expect(Math.max(...options.map((o) => o.text.text.length))).toBeLessThanOrEqual(75);
    const sets = applyModal(
      Array.from({ length: 150 }, (_, i) => `set${i}`),
      'm',
    ).blocks[2] as { element: { options: unknown[] } };
    expect(sets.element.options).toHaveLength(100);
  });

  it('shows a refusal as one plain line within the error length', () => {
    const refusal: Message = { text: `:warning: ${'&lt;x&gt; '.repeat(100)}\nhint`, blocks: [] };
    const text = modalError(refusal);
    expect(text.length).toBeLessThanOrEqual(MAX_ERROR);
    expect(text).not.toContain('\n');
    expect(text).toContain('<x>');
  });
});

describe('answers from forms become words the parser reads back unchanged', () => {
  it.each([
    ["don't", ["don't"]],
    ['a "b" c', ['a', '"b"', 'c']],
    ['“curly” ‘single’', ['“curly”', '‘single’']],
    [`'"'"'`, [`'"'"'`]],
    ['--force -- --set all', ['--force', '--', '--set', 'all']],
    ['  spaced\n\tout  ', ['spaced', 'out']],
  ])('%j', (text, words) => {
    expect(tokenize(quoteWords(text))).toEqual(words);
  });

  it('an answer after `--` is the REASON, never a flag', () => {
    const parsed = parseCommand(withRestArgument('deny 3f9c2e1', '--force "x" it\'s'), createRegistry());
    expect(parsed.kind === 'call' && parsed.call.args).toEqual({
      REV: '3f9c2e1',
      REASON: '--force "x" it\'s',
    });
  });
});

describe('modal metadata', () => {
  const key = metadataKey('xoxb-token');
  const signed = signMetadata(key, { form: 'ask', user: 'U1', command: 'deny abc' });

  it('round-trips when signed with the same key', () => {
    expect(verifyMetadata(key, signed)).toEqual({ form: 'ask', user: 'U1', command: 'deny abc' });
  });

  it.each([
    ['another key', () => verifyMetadata(metadataKey('xoxb-other'), signed)],
    [
      'a changed body',
      () =>
        verifyMetadata(
          key,
          `${Buffer.from('{"form":"ask","user":"U2"}').toString('base64url')}.${signed.split('.')[1]}`,
        ),
    ],
    ['a short signature', () => verifyMetadata(key, `${signed.split('.')[0]}.abcd`)],
    ['extra parts', () => verifyMetadata(key, `${signed}.x`)],
    ['nothing', () => verifyMetadata(key, undefined)],
    [
      'a signed non-metadata',
      () => verifyMetadata(key, signMetadata(key, { form: 'other', user: 1 } as never)),
    ],
  ])('refuses %s', (_, verify) => expect(verify()).toBeUndefined());
});

describe('the locks list', () => {
  it('offers an admin a forced unlock (with its confirm) of others’ locks, the holder a plain unlock, others none', async () => {
    const config = testConfig();
    const nodeLocks = await embeddedNodeLocks();
    await nodeLocks.lockAll(['web1'], { owner: 'U0APPLIER', reason: 'kernel <!here>', ttlMs: 60_000 });
    const dispatcher = createDispatcher({
      chat: { post: async () => ({ channel: 'C', ts: '1' }) } as never,
      config,
      commands: createRegistry(),
      clock: systemClock,
      logger: captureLogger().logger,
      version: '1',
      nodeLocks,
    });
    const buttonsFor = async (user: string) => {
      const answers: Message[] = [];
      await dispatcher.dispatch({
        text: 'locks',
        user,
        channel: 'C',
        respond: async (m) => void answers.push(m),
      });
      return answers.flatMap((m) => m.blocks).flatMap((b) => (b.kind === 'actions' ? b.buttons : []));
    };
    const [forced] = await buttonsFor('U0ADMIN');
    expect(forced?.command).toBe('unlock web1 --force');
    expect(forced?.confirm?.title).toBe('Force-unlock web1?');
    expect(await buttonsFor('U0APPLIER')).toEqual([{ label: 'Unlock web1', command: 'unlock web1' }]);
    expect(await buttonsFor('U0NOBODY')).toEqual([]);
  });
});
