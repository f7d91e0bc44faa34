/**
 * `npm run bench -- NAME`: benchmarks print their own figures beside the baseline they compare
 * against, measured side by side in the same run. Timings never live in unit tests.
 */
const benchmarks: Record<string, { about: string; run?: () => Promise<void> }> = {
  fanout: {
    about: 'noop one commit over 200 SSH nodes vs plain parallel ssh (issue: fleet engine)',
    run: () => import('./fanout.js').then((m) => m.run()),
  },
  grouping: {
    about: 'delta + grouping of 2,000 reports x 500 resources vs JSON.parse (issue: delta noops)',
    run: () => import('./grouping.js').then((m) => m.run()),
  },
  ack: {
    about: '200 slash commands at once: ms to the ack, idle and grouping, vs bare Bolt (issue 14)',
    run: () => import('./ack.js').then((m) => m.run()),
  },
  digest: {
    about: 'permadiff scan state + digest of 2,000 nodes x 50 permadiffs vs JSON.parse (issue 13)',
    run: () => import('./digest.js').then((m) => m.run()),
  },
  build: {
    about: 'a 5-stage build through Heckler vs the docker CLI (issue: builds)',
    run: () => import('./build.js').then((m) => m.run()),
  },
};

const [name] = process.argv.slice(2);
const chosen = name === undefined ? undefined : benchmarks[name];
if (!chosen) {
  process.stdout.write(
    `usage: npm run bench -- NAME\n${Object.entries(benchmarks)
      .map(([key, b]) => `  ${key.padEnd(9)} ${b.about}${b.run ? '' : ' — not built yet'}`)
      .join('\n')}\n`,
  );
  process.exit(name === undefined ? 0 : 2);
} else if (!chosen.run) {
  process.stderr.write(`benchmark '${name}' is not built yet: it arrives with its issue\n`);
  process.exit(2);
} else {
  await chosen.run();
}
