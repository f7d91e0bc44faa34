import { describe, expect, it } from 'vitest';
import { toBlockKit } from '../../../src/bot/render/blocks.js';
import { SLACK_LIMITS } from '../../../src/bot/render/slack-limits.js';
import { reviewMessage } from '../../../src/commands/views/review.js';
import {
  type ChangeGroup,
  compressHosts,
  groupDeltas,
  type NodeDelta,
} from '../../../src/engine/delta/index.js';
import type { ResourceChange } from '../../../src/engine/puppet/index.js';
import type { ReviewRecord } from '../../../src/engine/review/records.js';

/** 300 distinct changes spread over 500 nodes: far beyond one Slack message. */
const largeRecord = (): ReviewRecord => {
  const nodes = Array.from({ length: 500 }, (_, i) => `web${String(i + 1).padStart(3, '0')}.dc1`);
  const change = (g: number): ResourceChange => ({
    type: 'File',
    title: `/etc/app/conf.d/part-${g}.conf`,
    file: `modules/app/manifests/part${g % 7}.pp`,
    line: g,
    events: [{ property: 'content', from: '{sha256}aaa', to: '{sha256}bbb' }],
    diff: `--- /etc/app/conf.d/part-${g}.conf\n+++ /tmp/puppet-fileXXXXXX\n@@ -1 +1 @@\n-limit = ${g}\n+limit = ${g * 2}\n`,
    refresh: g % 50 === 0,
    failed: false,
    skipped: false,
    logs: [],
  });
  const deltas: NodeDelta[] = nodes.map((node, n) => ({
    node,
    kind: 'changes',
    // Every node gets a slice of the 300 changes, so groups have many hosts each.
    resources: Array.from({ length: 300 }, (_, g) => g)
      .filter((g) => (g + n) % 5 === 0)
      .map(change),
    evalErrors: [],
    parentErrors: [],
  }));
  const grouped = groupDeltas(deltas, { ignored: [] });
  return {
    sha: 'a'.repeat(40),
    shortSha: 'aaaaaaa',
    subject: 'app: double every limit',
    committedAt: 0,
    authors: ['U0ALICE'],
    unmappedAuthors: [],
    fleetHash: 'f',
    deltaHash: grouped.deltaHash,
    computedAt: 0,
    grouped,
    groupOwners: grouped.groups.map(() => ({ owners: ['U0BOB'], unmapped: [], source: 'module' as const })),
    evalOwners: [],
    decisions: [],
    notes: [],
  };
};

const textOf = (blocks: readonly unknown[]) => JSON.stringify(blocks);

describe('a review larger than a Slack message', () => {
  const record = largeRecord();
  const message = reviewMessage(record);
  const rendered = toBlockKit(message);

  it('has 300 groups to show', () => {
    expect(record.grouped.groups).toHaveLength(300);
  });

  it('fits one message within Slack limits: nothing continues in the thread', () => {
    expect(rendered.overflow).toEqual([]);
    expect(rendered.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
    for (const block of rendered.blocks as { text?: { text: string } }[]) {
      expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    }
  });

  it('keeps the summary and the buttons, and says how many changes are shown and where the rest is', () => {
    const main = textOf(rendered.blocks);
    expect(main).toContain('500 nodes would change');
    expect(main).toContain(`"value":"approve ${record.sha}@${record.deltaHash.slice(0, 12)}"`);
    expect(main).toMatch(/Showing \d+ of 300 changes, largest host sets first/);
    expect(main).toContain(
      '*Full diff*: every change with every host and its whole diff is in the file attached in this thread',
    );
  });

  it('shows the changes on the most hosts first, their host lists shortened with a count', () => {
    const shown = message.blocks.flatMap((b) =>
      b.kind === 'section' ? [...b.text.matchAll(/`File\[([^\]]+)\]`/g)].map((m) => m[1]) : [],
    );
    expect(shown.length).toBeGreaterThan(0);
    const hostCounts = shown.map(
      (title) => record.grouped.groups.find((g) => g.resource.title === title)?.nodes.length ?? -1,
    );
    expect(hostCounts).not.toContain(-1);
    expect([...hostCounts].sort((a, b) => b - a)).toEqual(hostCounts);
    const contexts = message.blocks.filter((b) => b.kind === 'context' && b.text.startsWith('on '));
    expect(contexts).toHaveLength(shown.length);
    for (const context of contexts)
      expect(context.kind === 'context' && context.text).toMatch(
        /^on web\{\d{3},.*… \(100 nodes\) · owners <@U0BOB>$/,
      );
  });

  it('loses nothing: every group with its hosts and diff is in the file', () => {
    const content = message.file?.content ?? '';
    record.grouped.groups.forEach((group: ChangeGroup) => {
      expect(content).toContain(`File[${group.resource.title}] on ${group.nodes.length} nodes`);
      expect(content).toContain(`hosts: ${compressHosts(group.nodes).join(', ')}`);
    });
    expect(content).toContain('web{001,006,011');
    expect(content).toContain('+limit = 598');
    expect(message.file?.filename).toBe(`review-aaaaaaa-${record.deltaHash.slice(0, 8)}.txt`);
  });

  it('keeps the file as it is when only the decision changes', () => {
    const denied = reviewMessage({
      ...record,
      decisions: [
        {
          verdict: 'deny',
          user: 'U0BOB',
          at: 1,
          commit: record.sha,
          deltaHash: record.deltaHash,
          reason: 'no',
          via: 'button',
        },
      ],
    });
    expect(textOf(denied.blocks)).not.toEqual(textOf(message.blocks));
    expect(denied.file?.content).toBe(message.file?.content);
  });
});
