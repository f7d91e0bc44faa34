import type { Block, ExecResult, Message, NodeSpec } from '../../engine/ports/index.js';

export interface NodesView {
  title: string;
  nodes: readonly NodeSpec[];
  /** Set name → its members (already resolved) and how it is defined. */
  sets: readonly { name: string; definition: string; members: readonly string[] }[];
  applyOrder: readonly string[];
  checks?: ReadonlyMap<string, ExecResult>;
}

const address = (node: NodeSpec) =>
  node.transport === 'local' ? 'local' : `ssh ${node.user}@${node.host}:${node.port}`;

const checkText = (result: ExecResult | undefined) => {
  if (!result) return '';
  if (result.status === 'ok') return ` · :white_check_mark: answers (${result.durationMs} ms)`;
  return ` · :x: ${result.status.replace('_', ' ')}${result.error ? `: ${result.error}` : ''}`;
};

export const nodesMessage = (view: NodesView): Message => {
  const setsOf = (name: string) =>
    view.sets.filter((set) => set.members.includes(name)).map((set) => set.name);
  const lines = view.nodes.map((node) => {
    const sets = setsOf(node.name);
    const certname = node.certname === node.name ? '' : ` · certname ${node.certname}`;
    return `• *${node.name}* ${address(node)}${certname}${sets.length > 0 ? ` · sets: ${sets.join(', ')}` : ''}${checkText(view.checks?.get(node.name))}`;
  });
  const blocks: Block[] = [
    { kind: 'header', text: view.title },
    { kind: 'section', text: lines.join('\n') || 'No nodes.' },
  ];
  if (view.sets.length > 0) {
    blocks.push({
      kind: 'section',
      text: `*Sets*\n${view.sets.map((set) => `• *${set.name}* (${set.definition}): ${set.members.join(', ') || 'no nodes'}`).join('\n')}`,
    });
  }
  blocks.push({ kind: 'context', text: `Apply order: ${view.applyOrder.join(' → ')}` });
  if (view.checks) {
    const down = [...view.checks.values()].filter((r) => r.status !== 'ok').length;
    blocks.push({ kind: 'context', text: `${view.checks.size - down} of ${view.checks.size} nodes answer.` });
  }
  return { text: `${view.title}: ${view.nodes.map((n) => n.name).join(', ')}`, blocks };
};
