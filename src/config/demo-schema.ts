import { z } from 'zod';

/**
 * `demo:` turns the file into a self-contained demo (examples/heckler.yml has it). At start the bot
 * creates `<dir>/repo`, a small Puppet repository (three commits by alice, dave and bob, tags
 * v1 and v2, a CODEOWNERS), unless it exists, and `<dir>/nodes/<name>/files` for three nodes. The
 * section stands for these keys, each used only where the file does not set it itself:
 *
 * - `repo.url`: `<dir>/repo`
 * - `fleet.nodes`: `demo1`, `demo2`, `demo3`, transport `local`, workDir `<dir>/nodes/<name>`;
 *   `fleet.sets.canaries` (demo1) and `fleet.applyOrder` `[canaries, all]`
 * - `puppet.args`: `--vardir {workDir}/puppet/var` and the other Puppet directories, per node
 * - `approvals.owners` / `approvals.people`: the demo authors, mapped to the users of the same
 *   name in `users:` (`U0ALICE: alice`)
 *
 * The demo's manifests manage files under `<dir>/nodes/<certname>/files` and nothing else.
 */
export const demoSchema = z.strictObject({
  /** Where the demo lives, relative to the working directory (like storage.dataDir); made absolute at load. */
  dir: z.string().min(1).default('.heckler-demo'),
});

export type DemoConfig = z.infer<typeof demoSchema>;
