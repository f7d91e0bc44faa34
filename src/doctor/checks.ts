/**
 * `heckler doctor`: what is checked, and how the answers read. Pure: the probes that do the
 * checking (src/doctor/probes.ts) are passed in, so the plan and the rendering are table-tested.
 */

/** One line of the report. */
export interface CheckResult {
  /** What was checked: `config`, `store`, `mirror`, a node name, a Docker host, `slack`, `github`. */
  subject: string;
  /** Which aspect: `reachable`, `host key`, `git`, `puppet`, `free space`… */
  check: string;
  ok: boolean;
  /** What was found, in plain words (a version, an address, the error). */
  found: string;
  /** For a failure: what to do about it. */
  advice?: string;
}

export type PlannedCheck =
  | { kind: 'config' | 'store' | 'mirror' | 'slack' | 'github' }
  | { kind: 'node'; node: string }
  | { kind: 'docker'; host: string };

/** What is configured, as far as the plan needs to know. */
export interface DoctorFacts {
  repo: boolean;
  nodes: readonly string[];
  dockerHosts: readonly string[];
  slackToken: boolean;
  githubToken: boolean;
}

/** The checks that apply to this configuration, in the order they are printed. */
export const planChecks = (facts: DoctorFacts): PlannedCheck[] => [
  { kind: 'config' },
  { kind: 'store' },
  ...(facts.repo ? [{ kind: 'mirror' } as const] : []),
  ...facts.nodes.map((node) => ({ kind: 'node', node }) as const),
  ...facts.dockerHosts.map((host) => ({ kind: 'docker', host }) as const),
  ...(facts.slackToken ? [{ kind: 'slack' } as const] : []),
  ...(facts.githubToken ? [{ kind: 'github' } as const] : []),
];

export const subjectOf = (check: PlannedCheck): string =>
  check.kind === 'node' ? check.node : check.kind === 'docker' ? check.host : check.kind;

/** Runs one planned check; may answer several lines (a node answers one per aspect). */
export type Probe = (check: PlannedCheck) => Promise<CheckResult[]>;

const errorWords = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Every check runs (a failing one never stops the others); one that throws or outlasts
 * `timeoutMs` is a failed line. Checks run `concurrency` at a time; lines come back in plan order.
 */
export const runChecks = async (
  plan: readonly PlannedCheck[],
  probe: Probe,
  options: { timeoutMs: number; concurrency: number },
): Promise<CheckResult[]> => {
  const results: CheckResult[][] = new Array(plan.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const index = next++;
      const check = plan[index] as PlannedCheck;
      results[index] = await bounded(probe(check), options.timeoutMs).catch((error: unknown) => [
        {
          subject: subjectOf(check),
          check: 'check',
          ok: false,
          found: errorWords(error),
          advice: 'see the bot log for details, fix what it names and run doctor again',
        },
      ]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return results.flat();
};

const bounded = async <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/** Secret values replaced wherever they occur, and control characters made visible. */
export const redact = (text: string, secrets: readonly string[]): string => {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('***');
  // Node output may carry terminal escapes and newlines: one check stays one line.
  return out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
};

/** One line per check: `ok` or `FAIL`, subject and aspect, what was found, and for a failure what to do. */
export const renderLine = (result: CheckResult, secrets: readonly string[] = []): string => {
  const status = result.ok ? 'ok  ' : 'FAIL';
  const found = redact(result.found, secrets);
  const advice = !result.ok && result.advice ? ` -> ${redact(result.advice, secrets)}` : '';
  return `${status} ${result.subject}: ${result.check}: ${found}${advice}`;
};

/** The report: every line, then a summary line. */
export const renderReport = (results: readonly CheckResult[], secrets: readonly string[] = []): string => {
  const failed = results.filter((r) => !r.ok).length;
  const summary =
    failed === 0 ? `all ${results.length} checks passed` : `${failed} of ${results.length} checks failed`;
  return [...results.map((r) => renderLine(r, secrets)), summary].join('\n');
};

export const anyFailed = (results: readonly CheckResult[]): boolean => results.some((r) => !r.ok);
