#!/usr/bin/env node
// Heckler in production: the compiled bot (`npm run build` writes dist/) under plain node, no
// TypeScript loader. Same arguments and environment as ./heckler (README "Running in production").
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`heckler: ${main.pathname} is missing: run \`npm run build\` in the checkout first\n`);
  process.exit(1);
}
await import(main.href);
