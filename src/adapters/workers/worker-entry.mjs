// A pool worker's entry, plain JavaScript so it loads the same everywhere. Compiled (dist/), the
// worker's module is JavaScript beside this file; from a checkout (tsx, vitest) it is TypeScript,
// and this worker, started without the parent's loader flags, registers tsx's loader first.
import { existsSync } from 'node:fs';

const compiled = new URL('./worker-main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./worker-main.ts', import.meta.url).href);
}
