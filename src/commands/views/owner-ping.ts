import { compressHosts, groupsNeedingApproval } from '../../engine/delta/index.js';
import type { Block, Message } from '../../engine/ports/index.js';
import type { PingViews } from '../../engine/review/owner-pings.js';
import type { ReviewRecord } from '../../engine/review/records.js';
import { escapeText as esc, link as linkTo, mentionAll, mentionGroup } from '../../engine/text/mrkdwn.js';
import { reviewButtons } from './review.js';
import type { ReviewBuildGate } from './review-build.js';
import { countsLine } from './review-status.js';

/** Groups listed in a ping; the review itself has the rest. */
const MAX_LISTED = 8;

/** Cuts literal text before it is escaped, so a 10,000-character subject stays a line. */
export const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`;

const headline = (record: ReviewRecord) => `\`${esc(record.shortSha)}\` ${esc(clip(record.subject, 120))}`;

/** One change group in a line: what, where in the code, on which nodes. */
const groupLine = (record: ReviewRecord, index: number): string => {
  const group = groupsNeedingApproval(record.grouped)[index];
  if (!group) return '';
  const r = group.resource;
  const where = r.file ? ` (${esc(clip(r.file, 100))}${r.line ? `:${r.line}` : ''})` : '';
  const hosts = esc(clip(compressHosts(group.nodes).join(', '), 200));
  return `• \`${esc(clip(`${r.type}[${r.title}]`, 120))}\`${where} on ${hosts}${group.refresh ? ' :arrows_counterclockwise: restarts' : ''}`;
};

/** The owner's private ping (issue 11 §4): the commit, what of theirs changed, Approve / Deny. */
export const ownerPingMessage =
  (gate?: ReviewBuildGate): PingViews['owner'] =>
  ({ record, groups, other, link, reminder }) => {
    const lead = reminder ? ':alarm_clock: Still waiting for your review' : ':wave: Waiting for your review';
    const authors =
      mentionAll(record.authors) || record.unmappedAuthors.map((a) => esc(clip(a, 80))).join(', ');
    const listed = groups.slice(0, MAX_LISTED).map((index) => groupLine(record, index));
    const more = groups.length - listed.length;
    const yours = [
      ...listed,
      ...(more > 0 ? [`• …and ${more} more: see the review`] : []),
      ...other.map((what) => `• ${esc(what)}`),
    ];
    const blocks: Block[] = [
      {
        kind: 'section',
        text: `${lead}: ${headline(record)}\nby ${authors || 'unknown'} · ${countsLine(record)}`,
      },
      ...(yours.length > 0
        ? [{ kind: 'section' as const, text: `*What of yours changes:*\n${yours.join('\n')}` }]
        : []),
      ...reviewButtons(record, gate),
      {
        kind: 'context',
        text: `${link ? `${linkTo(link, 'Open the review')} · ` : ''}\`/heckler noop ${esc(record.shortSha)}\` shows it in full`,
      },
    ];
    return { text: `${lead}: ${headline(record)}`, blocks };
  };

/** Owner teams mapped to user groups, mentioned once in the review's thread. */
export const ownerGroupsMessage: PingViews['groups'] = ({ record, groups, reminder }) => {
  const who = groups.map(mentionGroup).join(', ');
  const text = reminder
    ? `:alarm_clock: ${who}: ${headline(record)} is still waiting for your review`
    : `:wave: ${who}: ${headline(record)} changes code you own and waits for your review`;
  return { text, blocks: [{ kind: 'section', text }] } satisfies Message;
};
