/**
 * Run by branch-patterns.test.ts in a child process (`node --import tsx`): matches catastrophic
 * patterns against hostile branch names through every matcher and prints the results as JSON.
 * In a child, a backtracking engine that would spin for ages is killed at the test's deadline
 * instead of freezing the test worker, whose timers could not fire while it spins.
 */
import { branchAllowed, parsePipelineFile } from '../../../src/engine/builds/pipeline.js';
import { MAX_BRANCH_BYTES, matchTrigger, parseTrigger } from '../../../src/engine/builds/triggers.js';
import { repoAllows } from '../../../src/engine/builds/watch.js';
import { matchesSomewhere, matchesWhole } from '../../../src/engine/text/safe-regex.js';

const patterns = ['(a|a)+$', '(x+x+)+y'];
/** 10,000 characters (over the cap), and just within the cap so the engine itself runs. */
const names = (length: number) => [`${'a'.repeat(length - 1)}b`, 'x'.repeat(length)];

const results: Record<string, boolean> = {};
for (const pattern of patterns) {
  const parsed = parsePipelineFile(
    `image: alpine\nbranches: [main, ${JSON.stringify(pattern)}]\nstages: [{name: a, script: ["true"]}]\n`,
  );
  const trigger = parseTrigger(`branch: main||${pattern}`);
  if (!parsed.ok || !parsed.pipelines[0] || !trigger.ok) throw new Error(`${pattern} did not parse`);
  const pipeline = parsed.pipelines[0];
  const repo = {
    name: 'a/b',
    url: 'https://x.test/a/b',
    branches: ['main', pattern],
    source: 'config' as const,
  };
  for (const name of [...names(10_000), ...names(MAX_BRANCH_BYTES)]) {
    const at = `${pattern} on ${name.length} characters of ${name[0]}`;
    results[`matchesWhole ${at}`] = matchesWhole(pattern, name);
    results[`matchesSomewhere ${at}`] = matchesSomewhere(`^(?:${pattern})$`, name);
    results[`branchAllowed ${at}`] = branchAllowed(pipeline, name);
    results[`matchTrigger ${at}`] = matchTrigger(trigger.expr, {
      branch: name,
      message: '',
      changedFiles: [],
    });
    results[`repoAllows ${at}`] = repoAllows(repo, name);
  }
}
process.stdout.write(JSON.stringify(results));
