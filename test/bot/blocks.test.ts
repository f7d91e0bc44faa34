import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, toBlockKit, toHomeView } from '../../src/bot/render/blocks.js';
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

  it('escapes &, < and > but keeps mentions, channels and links', () => {
    expect(escapeMrkdwn('a < b && c > d <@U0ADMIN> <#C0OPS> <!here> <https://x.test/a|the log>')).toBe(
      'a &lt; b &amp;&amp; c &gt; d <@U0ADMIN> <#C0OPS> <!here> <https://x.test/a|the log>',
    );
    const rendered = toBlockKit(one({ kind: 'code', text: 'if a < b && c' }));
    expect(rendered.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: '```\nif a &lt; b &amp;&amp; c\n```' } },
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
