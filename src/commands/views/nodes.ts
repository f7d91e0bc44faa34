import type { Block, ExecResult, Message, NodeSpec } from '../../engine/ports/index.js';
import { escapeText as esc } from '../../engine/text/mrkdwn.js';

export interface NodesView {
  /** Mrkdwn: the caller escapes what it quotes (a set name). */
  title: string;
  nodes: readonly NodeSpec[];
  /** Set name → its members (already resolved) and how it is defined. */
  sets: readonly { name: string; definition: string; members: readonly string[] }[];
  applyOrder: readonly string[];
  checks?: ReadonlyMap<string, ExecResult>;
}

const address = (node: NodeSpec) =>
  node.transport === 'local' ? 'local' : esc(`ssh ${node.user}@${node.host}:${node.port}`);

const checkText = (result: ExecResult | undefined) => {
  if (!result) return '';
  if (result.status === 'ok') return ` · :white_check_mark: answers (${result.durationMs} ms)`;
  return ` · :x: ${result.status.replace('_', ' ')}${result.error ? `: ${esc(result.error)}` : ''}`;
};

/** Names, addresses and set definitions come from heckler.yml and set commands: escaped. */
export const nodesMessage = (view: NodesView): Message => {
  const setsOf = (name: string) =>
    view.sets.filter((set) => set.members.includes(name)).map((set) => set.name);
  const lines = view.nodes.map((node) => {
    const sets = setsOf(node.name);
    const certname = node.certname === node.name ? '' : ` · certname ${esc(node.certname)}`;
    return `• *${esc(node.name)}* ${address(node)}${certname}${sets.length > 0 ? ` · sets: ${esc(sets.join(', '))}` : ''}${checkText(view.checks?.get(node.name))}`;
  });
  const blocks: Block[] = [
    { kind: 'header', text: view.title },
    { kind: 'section', text: lines.join('\n') || 'No nodes.' },
  ];
  if (view.sets.length > 0) {
    blocks.push({
      kind: 'section',
      text: `*Sets*\n${view.sets.map((set) => `• *${esc(set.name)}* (${esc(set.definition)}): ${esc(set.members.join(', ')) || 'no nodes'}`).join('\n')}`,
    });
  }
  blocks.push({ kind: 'context', text: `Apply order: ${esc(view.applyOrder.join(' → '))}` });
  if (view.checks) {
    const down = [...view.checks.values()].filter((r) => r.status !== 'ok').length;
    blocks.push({ kind: 'context', text: `${view.checks.size - down} of ${view.checks.size} nodes answer.` });
  }
  return { text: `${view.title}: ${esc(view.nodes.map((n) => n.name).join(', '))}`, blocks };
};
