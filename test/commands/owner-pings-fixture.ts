import { groupDeltas, type NodeDelta } from '../../src/engine/delta/index.js';
import type { ResourceChange } from '../../src/engine/puppet/index.js';
import type { ReviewRecord } from '../../src/engine/review/records.js';
import { groupOwner } from '../../src/engine/text/mrkdwn.js';

/** A review waiting for owners, for the owner ping tests. */

export const change = (title: string, file: string): ResourceChange => ({
  type: 'File',
  title,
  file,
  line: 1,
  events: [{ property: 'content', from: 'a', to: 'b' }],
  refresh: false,
  failed: false,
  skipped: false,
  logs: [],
});

export const INFRA = groupOwner('S0INFRA');

/** Two groups: the motd one (alice), the webapp one (bob, erin and the infra user group). */
export const record = (over: Partial<ReviewRecord> = {}): ReviewRecord => {
  const deltas: NodeDelta[] = ['node1', 'node2'].map((node) => ({
    node,
    kind: 'changes',
    resources: [
      change('/data/motd', 'modules/motd/init.pp'),
      change('/data/app.conf', 'modules/webapp/init.pp'),
    ],
    evalErrors: [],
    parentErrors: [],
  }));
  const grouped = groupDeltas(deltas, { ignored: [] });
  const owners = grouped.groups.map((group) =>
    group.resource.title === '/data/motd'
      ? { owners: ['U0ALICE'], unmapped: [], source: 'module' as const }
      : { owners: ['U0BOB', 'U0ERIN', INFRA], unmapped: [], source: 'module' as const },
  );
  return {
    sha: 'a'.repeat(40),
    shortSha: 'aaaaaaa',
    subject: 'motd and webapp',
    committedAt: 0,
    authors: ['U0DAVE'],
    unmappedAuthors: [],
    fleetHash: 'f',
    deltaHash: grouped.deltaHash,
    computedAt: 0,
    grouped,
    groupOwners: owners,
    evalOwners: [],
    decisions: [],
    notes: [],
    message: { channel: 'CREVIEW', ts: '1.000' },
    ...over,
  };
};
