import { fileURLToPath } from 'node:url';

/**
 * Our report processor's name: its module, its file (`lib/puppet/reports/<name>.rb`) and what it
 * registers. Puppet loads the first processor of a name that it finds on the modulepath, so the
 * name is one no Puppet repository uses (repositories of the old Heckler daemon vendor `heckler`);
 * a new revision of the processor's contract gets a new name.
 */
export const REPORT_PROCESSOR_NAME = 'heckler_bot_r1';

/** The processor module in the bot; the fleet code copies it to `<libDir>/<name>` on each node. */
export const reportProcessorModuleDir = fileURLToPath(
  new URL(`./assets/${REPORT_PROCESSOR_NAME}`, import.meta.url),
);

/** Inside a module: the one file Puppet loads for `--reports <name>`. */
export const REPORT_PROCESSOR_FILE = `lib/puppet/reports/${REPORT_PROCESSOR_NAME}.rb`;
