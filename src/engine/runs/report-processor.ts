import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shellQuote } from '../fleet/shell-quote.js';
import type { ExecResult, NodeSpec, NodeTransport } from '../ports/index.js';
import {
  libDirOf,
  REPORT_PROCESSOR_FILE,
  REPORT_PROCESSOR_NAME,
  reportProcessorModuleDir,
} from '../puppet/index.js';

/**
 * The module older bots installed. Our lib dir now comes first on the modulepath, where it would
 * hide a checkout module of that name: it goes when ours is installed.
 */
const LEGACY_MODULE = 'heckler_report';

/**
 * Puts the report processor beside the checkout on a node. The file travels on stdin with its
 * hash; the node only rewrites it when the hash differs, so an unchanged processor costs one
 * round trip and a few kilobytes.
 */
export const createProcessorInstaller = () => {
  const source = readFileSync(join(reportProcessorModuleDir, REPORT_PROCESSOR_FILE));
  const hash = createHash('sha256').update(source).digest('hex');
  const installed = new Set<string>();
  return async (transport: NodeTransport, node: NodeSpec): Promise<ExecResult | undefined> => {
    const key = `${node.name}\0${node.workDir}`;
    if (installed.has(key)) return undefined;
    const lib = libDirOf(node);
    const moduleDir = `${lib}/${REPORT_PROCESSOR_NAME}`;
    const file = shellQuote(`${moduleDir}/${REPORT_PROCESSOR_FILE}`);
    const marker = shellQuote(`${moduleDir}/.sha256`);
    const command = [
      `if [ "$(cat ${marker} 2>/dev/null)" = ${hash} ]; then cat >/dev/null; exit 0; fi`,
      `rm -rf ${shellQuote(`${lib}/${LEGACY_MODULE}`)}`,
      `mkdir -p ${shellQuote(`${moduleDir}/lib/puppet/reports`)}`,
      `cat > ${file}.tmp && mv ${file}.tmp ${file} && echo ${hash} > ${marker}`,
    ].join('\n');
    const result = await transport.exec(node, command, { stdin: source, timeoutMs: 60_000 });
    if (result.status === 'ok') installed.add(key);
    return result;
  };
};

export type ProcessorInstaller = ReturnType<typeof createProcessorInstaller>;
