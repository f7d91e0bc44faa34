import { fleetSchema } from '../../../src/config/fleet-schema.js';
import type { CommandRunner, InventoryContext } from '../../../src/engine/fleet/inventory.js';

/** A fleet config with every kind of node default and set, shared by the inventory tests. */
export const fleet = fleetSchema.parse({
  workDir: '/srv/heckler',
  ssh: { user: 'deploy', port: 2222, key: '/keys/fleet' },
  nodes: {
    web1: null,
    web2: { host: '10.0.0.2' },
    web3: {
      host: 'web3.dc1.example.com',
      port: 22,
      user: 'root',
      key: '/keys/web3',
      certname: 'web3.example.com',
    },
    'db1.dc1': { workDir: '/data/heckler' },
    'db2.dc1': { transport: 'local' },
    cache1: null,
  },
  sets: {
    canaries: { nodes: ['web2', 'db1.dc1'] },
    web: { pattern: 'web*' },
    dbs: { pattern: 'db?.dc1' },
    cmdb: { command: 'cmdb-query --role app' },
    typo: { nodes: ['web1', 'wbe2'] },
    none: { pattern: 'mail*' },
  },
  applyOrder: ['canaries', 'all'],
});

const commands: Record<string, string> = {
  'cmdb-query --role app': '# from the CMDB\nweb3\n\n  cache1  \nweb3\n',
};
export const runCommand: CommandRunner = async (command) => {
  const output = commands[command];
  if (output === undefined) throw new Error(`exit 1: ${command}: not found`);
  return output;
};
export const context: InventoryContext = { fleet, runCommand };
