import { describe, expect, it } from 'vitest';
import { digestFile } from '../../../src/commands/views/permadiff-digest-file.js';
import { when } from '../../../src/commands/views/permadiffs.js';
import { buildDigest } from '../../../src/engine/permadiffs/digest.js';
import { group, HOUR, NOW } from './digest-fixtures.js';

/**
 * The digest's attached file writes each group's diff indented line by line and its first-seen
 * time (remembered between groups that share it); checked against the text written out plainly.
 */
describe('digest file text against a plain rendering', () => {
  it('indents every diff line, keeps empty lines, and dates each group by its own first-seen', () => {
    const diff = '--- /etc/a\n+++ /tmp/x\n@@ -1,3 +1,3 @@\n\n-old\n+new on {{node}}\n';
    const a = group('h-a', 'File[/etc/a]', { web1: 2, web2: 2 }, { diff });
    const b = group('h-b', 'File[/etc/b]', { web3: 2 }, { diff: 'one line' });
    const c = { ...group('h-c', 'Exec[c]', { web4: 2 }), firstSeen: NOW - 30 * HOUR };
    c.streaks = { firstSeen: [NOW - 30 * HOUR], lastSeen: [NOW - HOUR], streak: [2] };
    const { digest } = buildDigest({
      now: NOW,
      minRuns: 2,
      groups: [a, b, c],
      ignores: [],
      staleLocks: [],
      waiting: [],
    });
    const content = digestFile(digest).content;
    const plainIndent = (text: string) =>
      text
        .replace(/\n$/, '')
        .split('\n')
        .map((line) => `    ${line}`)
        .join('\n');
    expect(content).toContain(`  diff:\n${plainIndent(diff)}\n\n`);
    expect(content).toContain('  diff:\n    one line');
    expect(content).toContain(`File[/etc/a] on 2 nodes: web{1,2}\n`);
    expect(content).toContain(`first seen ${when(NOW - 10 * HOUR)}\n  diff:\n    --- /etc/a`);
    expect(content).toContain(
      `Exec[c] on 1 node: web4\n  owners: nobody\n  source: modules/x/manifests/init.pp:3\n  first seen ${when(NOW - 30 * HOUR)}`,
    );
  });
});
