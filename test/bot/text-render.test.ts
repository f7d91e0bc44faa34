import { describe, expect, it } from 'vitest';
import { printable, renderText, terminalText } from '../../src/bot/render/text.js';
import type { Block } from '../../src/engine/ports/message.js';
import { escapeText, link, mention } from '../../src/engine/text/mrkdwn.js';

const users = { U0ALICE: 'alice' };
const show = (...blocks: Block[]) => {
  let n = 1;
  return renderText({ text: 't', blocks }, { users, numberButton: () => n++ });
};

/** What git or a node could print: colour, clear screen, cursor moves, carriage return, C1 CSI. */
const ansi = '\u001b[31mred\u001b[0m \u001b[2J\u001b[H\rover\bx\u0007\u009b2Jc1\u007f';

describe('terminalText: mrkdwn as the terminal shows it', () => {
  it('names mentions, shows text as typed and never turns escaped text into a mention', () => {
    const text = `${mention('U0ALICE')} merged ${escapeText('<!channel> <@U0ADMIN> a&b &lt;x&gt;')}`;
    expect(terminalText(text, users)).toBe('@alice merged <!channel> <@U0ADMIN> a&b &lt;x&gt;');
  });

  it('shows a link as its label and URL', () => {
    expect(terminalText(`see ${link('https://x.test/?a=1&b=2', 'the <log>')}`, users)).toBe(
      'see the <log> (https://x.test/?a=1&b=2)',
    );
  });

  it('drops ANSI escapes and other control characters, keeping tabs and newlines', () => {
    expect(printable(`a\tb\n${ansi}`)).toBe('a\tb\n[31mred[0m [2J[Hoverx2Jc1');
    expect(terminalText(escapeText(ansi), users)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

describe('renderText', () => {
  it('strips control characters from every kind of block, code included', () => {
    const lines = show(
      { kind: 'header', text: ansi },
      { kind: 'section', text: ansi },
      { kind: 'context', text: ansi },
      { kind: 'fields', fields: [{ label: ansi, value: ansi }] },
      { kind: 'code', text: ansi },
      { kind: 'actions', buttons: [{ label: ansi, command: 'help' }] },
    );
    expect(lines.length).toBeGreaterThan(6);
    for (const line of lines) {
      expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
    expect(lines.join('\n')).toContain('[31mred[0m');
  });

  it('shows code, which is raw text, without unescaping it', () => {
    expect(show({ kind: 'code', text: 'a &lt; b <c>' })).toEqual(['```', 'a &lt; b <c>', '```']);
  });

  it('unescapes headers, sections, context and fields', () => {
    const text = escapeText('<!here> & co');
    expect(
      show(
        { kind: 'header', text },
        { kind: 'section', text },
        { kind: 'context', text },
        { kind: 'fields', fields: [{ label: text, value: text }] },
      ),
    ).toEqual(['== <!here> & co ==', '<!here> & co', '  <!here> & co', '<!here> & co: <!here> & co']);
  });
});
