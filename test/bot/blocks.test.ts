import { describe, expect, it } from 'vitest';
import { safeMrkdwn, toBlockKit, toHomeView } from '../../src/bot/render/blocks.js';
import type { Block, Message } from '../../src/engine/ports/message.js';

const one = (block: Block): Message => ({ text: 'fallback', blocks: [block] });

describe('toBlockKit: each neutral block kind', () => {
  const cases: { name: string; block: Block; expected: unknown[] }[] = [
    {
      name: 'header',
      block: { kind: 'header', text: 'Heckler commands' },
      expected: [{ type: 'header', text: { type: 'plain_text', text: 'Heckler commands', emoji: true } }],
    },
    {
      name: 'section',
      block: { kind: 'section', text: 'apply *v2.1* to <@U0ADMIN>' },
      expected: [{ type: 'section', text: { type: 'mrkdwn', text: 'apply *v2.1* to <@U0ADMIN>' } }],
    },
    {
      name: 'fields',
      block: {
        kind: 'fields',
        fields: [
          { label: 'Node', value: 'web01' },
          { label: 'Revision', value: 'v2.1' },
        ],
      },
      expected: [
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Node*\nweb01' },
            { type: 'mrkdwn', text: '*Revision*\nv2.1' },
          ],
        },
      ],
    },
    {
      name: 'code',
      block: { kind: 'code', text: '-ensure => absent\n+ensure => present' },
      expected: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: '```\n-ensure =&gt; absent\n+ensure =&gt; present\n```' },
        },
      ],
    },
    {
      name: 'context',
      block: { kind: 'context', text: 'needs the admin role' },
      expected: [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'needs the admin role' }] }],
    },
    { name: 'divider', block: { kind: 'divider' }, expected: [{ type: 'divider' }] },
    {
      name: 'actions',
      block: {
        kind: 'actions',
        buttons: [
          { label: 'Approve', command: 'approve abc123', style: 'primary' },
          { label: 'Deny', command: 'deny abc123', style: 'danger' },
          { label: 'Details', command: 'help apply' },
        ],
      },
      expected: [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'heckler:0',
              text: { type: 'plain_text', text: 'Approve', emoji: true },
              value: 'approve abc123',
              style: 'primary',
            },
            {
              type: 'button',
              action_id: 'heckler:1',
              text: { type: 'plain_text', text: 'Deny', emoji: true },
              value: 'deny abc123',
              style: 'danger',
            },
            {
              type: 'button',
              action_id: 'heckler:2',
              text: { type: 'plain_text', text: 'Details', emoji: true },
              value: 'help apply',
            },
          ],
        },
      ],
    },
  ];

  it.each(cases)('$name', ({ block, expected }) => {
    const rendered = toBlockKit(one(block));
    expect(rendered.blocks).toEqual(expected);
    expect(rendered.text).toBe('fallback');
    expect(rendered.overflow).toEqual([]);
  });

  it('sends escaped mrkdwn as it is, keeping the mentions and links the bot made', () => {
    const text = 'a &lt; b &amp;&amp; c &gt; d <@U0ADMIN> <https://x.test/a?b=1&amp;c=2|the log>';
    expect(safeMrkdwn(text)).toBe(text);
    expect(toBlockKit(one({ kind: 'section', text })).blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text } },
    ]);
  });

  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<!here>', '&lt;!here&gt;'],
    ['<!everyone>', '&lt;!everyone&gt;'],
    ['<!subteam^S0OPS|@ops>', '&lt;!subteam^S0OPS|@ops&gt;'],
    ['<#C0OPS>', '&lt;#C0OPS&gt;'],
    ['<@U0ADMIN|admin>', '&lt;@U0ADMIN|admin&gt;'],
    ['<mailto:a@b.test|mail>', '&lt;mailto:a@b.test|mail&gt;'],
    ['<https://x.test|a <b>', '&lt;https://x.test|a &lt;b&gt;'],
    ['AT&T > 1', 'AT&amp;T &gt; 1'],
  ])('neutralizes %s, a token or character no view should have let through', (raw, shown) => {
    expect(safeMrkdwn(`say ${raw} now`)).toBe(`say ${shown} now`);
    const rendered = toBlockKit({
      text: raw,
      blocks: [
        { kind: 'section', text: raw },
        { kind: 'context', text: raw },
        { kind: 'fields', fields: [{ label: raw, value: raw }] },
      ],
    });
    expect(rendered.text).toBe(shown);
    expect(rendered.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: shown } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: shown }] },
      { type: 'section', fields: [{ type: 'mrkdwn', text: `*${shown}*\n${shown}` }] },
    ]);
  });

  it('escapes code blocks, which hold raw text, and keeps a ``` in them from closing the block', () => {
    const rendered = toBlockKit(one({ kind: 'code', text: 'if a < b && c\n<!channel> &lt;\n```\nafter' }));
    expect(rendered.blocks).toEqual([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '```\nif a &lt; b &amp;&amp; c\n&lt;!channel&gt; &amp;lt;\n`\u200b`\u200b`\nafter\n```',
        },
      },
    ]);
  });

  it('shows a header, which is plain_text, as the literal characters', () => {
    const rendered = toBlockKit(
      one({ kind: 'header', text: 'fix &lt;!channel&gt; &amp; &amp;lt; <@U0ADMIN>' }),
    );
    expect(rendered.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: 'fix <!channel> & &lt; <@U0ADMIN>', emoji: true },
      },
    ]);
  });

  it('measures a header by its literal length; a long one becomes a bold section that stays escaped', () => {
    const fits = `${'&lt;'.repeat(150)}`;
    expect(toBlockKit(one({ kind: 'header', text: fits })).blocks[0]).toMatchObject({ type: 'header' });
    const long = `${'&lt;!here&gt;'.repeat(22)}`; // 154 characters as shown
    expect(toBlockKit(one({ kind: 'header', text: long })).blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: `*${long}*` } },
    ]);
  });

  it('renders the fallback text as a section when a message has no blocks', () => {
    expect(toBlockKit({ text: 'just words', blocks: [] }).blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: 'just words' } },
    ]);
  });

  it('numbers buttons uniquely across several actions blocks of one message', () => {
    const buttons = Array.from({ length: 30 }, (_, i) => ({ label: `b${i}`, command: `help b${i}` }));
    const rendered = toBlockKit({
      text: 't',
      blocks: [
        { kind: 'actions', buttons },
        { kind: 'actions', buttons },
      ],
    });
    const ids = rendered.blocks.flatMap((b) =>
      b.type === 'actions' ? b.elements.map((e) => e.action_id) : [],
    );
    expect(rendered.blocks.map((b) => b.type)).toEqual(['actions', 'actions', 'actions', 'actions']);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
  });

  it('builds a home view from the same message', () => {
    const view = toHomeView({
      text: 't',
      blocks: [{ kind: 'header', text: 'Heckler commands' }, { kind: 'divider' }],
    });
    expect(view).toEqual({
      type: 'home',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Heckler commands', emoji: true } },
        { type: 'divider' },
      ],
    });
  });
});
