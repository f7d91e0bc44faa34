import { z } from 'zod';
import { nodeLayout } from '../fleet/node-layout.js';
import { shellQuote } from '../fleet/shell-quote.js';
import type { ExecResult, NodeSpec, NodeTransport } from '../ports/index.js';

/**
 * What a node last had applied. The node keeps it in its own work directory (it is the source of
 * truth: an apply done by hand or by another bot shows up there); the bot mirrors it in storage.
 */
export interface AppliedState {
  revision: string;
  /** Epoch milliseconds. */
  appliedAt: number;
  outcome: 'ok' | 'failed';
  /** A failed apply leaves the node dirty until a later apply succeeds. */
  dirty: boolean;
  by: string;
}

const appliedStateSchema = z.object({
  revision: z.string().regex(/^[0-9a-f]{40}$/),
  appliedAt: z.number(),
  outcome: z.enum(['ok', 'failed']),
  dirty: z.boolean(),
  by: z.string(),
});

export const appliedStatePath = (node: NodeSpec) => `${nodeLayout(node).state}/applied.json`;

/** Parses the node's file; undefined when the node never had an apply, an error when the file is damaged. */
export const parseAppliedState = (text: string): AppliedState | undefined | Error => {
  if (text.trim() === '') return undefined;
  try {
    const parsed = appliedStateSchema.safeParse(JSON.parse(text));
    return parsed.success
      ? parsed.data
      : new Error(`applied state is malformed: ${parsed.error.issues[0]?.message}`);
  } catch (error) {
    return new Error(`applied state is not JSON: ${(error as Error).message}`);
  }
};

export type AppliedRead =
  | { ok: true; state: AppliedState | undefined }
  | { ok: false; result: ExecResult; error: string };

export const readAppliedState = async (transport: NodeTransport, node: NodeSpec): Promise<AppliedRead> => {
  const path = shellQuote(appliedStatePath(node));
  const result = await transport.exec(node, `if [ -f ${path} ]; then cat ${path}; fi`, { timeoutMs: 30_000 });
  if (result.status !== 'ok') return { ok: false, result, error: result.error ?? result.stderr.trim() };
  const state = parseAppliedState(result.stdout);
  return state instanceof Error ? { ok: false, result, error: state.message } : { ok: true, state };
};

/** Written to a temporary file and renamed, so a crash never leaves half a file behind. */
export const writeAppliedState = async (
  transport: NodeTransport,
  node: NodeSpec,
  state: AppliedState,
): Promise<ExecResult> => {
  const path = appliedStatePath(node);
  const dir = shellQuote(path.slice(0, path.lastIndexOf('/')));
  const command = `mkdir -p ${dir} && cat > ${shellQuote(`${path}.tmp`)} && mv ${shellQuote(`${path}.tmp`)} ${shellQuote(path)}`;
  return transport.exec(node, command, { stdin: `${JSON.stringify(state)}\n`, timeoutMs: 30_000 });
};
