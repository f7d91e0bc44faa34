import type { NodeSpec } from '../ports/transport.js';
import { ALL, type InventoryContext, nodeSpecs, setMembers } from './inventory.js';

/** One step of an apply: its nodes go together, and the next stage waits for them. */
export interface Stage {
  /** The set this stage came from (`canaries`, `all`…). */
  name: string;
  nodes: NodeSpec[];
}

/**
 * Splits the nodes of an apply into the stages of `fleet.applyOrder`. A node goes in the first
 * stage whose set holds it; `all` takes every node still left. Stages left empty are dropped. A
 * node that no stage takes (an order without `all`) goes in a final `all` stage: an apply never
 * skips a node it was asked to apply because the order forgot it.
 */
export const applyStages = async (
  targets: readonly NodeSpec[],
  context: InventoryContext,
): Promise<Stage[]> => {
  const known = nodeSpecs(context.fleet).map((spec) => spec.name);
  const remaining = new Map(targets.map((target) => [target.name, target]));
  const stages: Stage[] = [];
  for (const name of context.fleet.applyOrder) {
    const members = name === ALL ? [...remaining.keys()] : await setMembers(name, context, known);
    const nodes = members.flatMap((member) => {
      const spec = remaining.get(member);
      if (spec === undefined) return [];
      remaining.delete(member);
      return [spec];
    });
    if (nodes.length > 0) stages.push({ name, nodes });
  }
  if (remaining.size > 0) stages.push({ name: ALL, nodes: [...remaining.values()] });
  return stages;
};
