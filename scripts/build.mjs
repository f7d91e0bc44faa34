// `npm run build [-- OUT_DIR]`: the bot compiled to plain JavaScript (tsc, tsconfig.build.json) in
// dist/ (or OUT_DIR), with the files the runtime loads by path beside their modules. The output is
// made afresh: a module deleted from src/ must not linger in dist/ and still be importable.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const out = resolve(process.argv[2] ?? join(root, 'dist'));

rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(
  process.execPath,
  [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out],
  {
    stdio: 'inherit',
  },
);
if (compiled.status !== 0) {
  process.stderr.write(
    `build: tsc failed (exit ${compiled.status ?? compiled.signal}); nothing usable in ${out}\n`,
  );
  rmSync(out, { recursive: true, force: true });
  process.exit(1);
}

// Everything in src/ that is not TypeScript is loaded at run time by a path next to its module
// (the scheduler's tick job, the Puppet report processor): copied as it is.
const assets = readdirSync(src, { recursive: true, withFileTypes: true }).filter(
  (entry) => entry.isFile() && !entry.name.endsWith('.ts'),
);
for (const entry of assets) {
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(out, relative(src, from)));
}
process.stdout.write(`build: ${out} (${assets.length} files copied beside the modules)\n`);
