import type { NodeSpec } from '../ports/transport.js';

/** Where Heckler keeps things on a node, all under its `workDir`. */
export interface NodeLayout {
  /** The Puppet code, exactly one commit, nothing else: `git clean -ffdx` runs here on every sync. */
  checkout: string;
  /** Heckler's own files (last synced commit, applied state, report processor): outside the checkout, so clean never touches them. */
  state: string;
}

// Paths are quoted wherever they are used, but a plain absolute path also keeps `rm -rf` honest.
const SAFE_PATH = /^\/[A-Za-z0-9_./-]*$/;

export const nodeLayout = (node: NodeSpec): NodeLayout => {
  const workDir = node.workDir.replace(/\/+$/, '');
  if (!SAFE_PATH.test(node.workDir) || workDir.split('/').includes('..')) {
    throw new Error(
      `node ${node.name}: workDir must be a plain absolute path, got ${JSON.stringify(node.workDir)}`,
    );
  }
  return { checkout: `${workDir}/checkout`, state: `${workDir}/state` };
};

/** A full commit id (SHA-1, or SHA-256 for repositories that use it): the only revision form sent to nodes. */
export const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
