import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalTransport } from '../../../src/adapters/transport/local.js';
import type { NodeSpec } from '../../../src/engine/ports/transport.js';
import { REPORT_PROCESSOR_NAME, reportProcessorModuleDir } from '../../../src/engine/puppet/index.js';
import { createProcessorInstaller } from '../../../src/engine/runs/report-processor.js';

/** The installer through the real local transport (`sh -c`), into a scratch workDir. */
describe('createProcessorInstaller', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-installer-'));
  const transport = createLocalTransport();
  afterAll(async () => {
    await transport.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const node: NodeSpec = {
    name: 'node1',
    transport: 'local',
    host: 'localhost',
    port: 22,
    user: 'root',
    certname: 'node1.example.com',
    workDir: dir,
  };
  const file = `lib/puppet/reports/${REPORT_PROCESSOR_NAME}.rb`;
  const installed = join(dir, 'lib', 'heckler_bot_r1', file);
  const source = readFileSync(join(reportProcessorModuleDir, file), 'utf8');

  it('installs heckler_bot_r1 under <workDir>/lib and removes the old heckler_report module', async () => {
    // What older bots left: it sits in the lib dir that now comes first on the modulepath.
    const legacy = join(dir, 'lib', 'heckler_report', 'lib', 'puppet', 'reports');
    mkdirSync(legacy, { recursive: true });
    writeFileSync(join(legacy, 'heckler.rb'), '# old\n');

    const install = createProcessorInstaller();
    expect(await install(transport, node)).toMatchObject({ status: 'ok' });
    expect(readFileSync(installed, 'utf8')).toBe(source);
    expect(readFileSync(join(dir, 'lib', 'heckler_bot_r1', '.sha256'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(existsSync(join(dir, 'lib', 'heckler_report'))).toBe(false);
    // once per node per bot: the second run costs no command at all
    expect(await install(transport, node)).toBeUndefined();
  });

  it('rewrites the processor when the node holds another version', async () => {
    writeFileSync(join(dir, 'lib', 'heckler_bot_r1', '.sha256'), 'an older hash\n');
    writeFileSync(installed, '# an older processor\n');
    expect(await createProcessorInstaller()(transport, node)).toMatchObject({ status: 'ok' });
    expect(readFileSync(installed, 'utf8')).toBe(source);
  });
});
