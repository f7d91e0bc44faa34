/**
 * A small reader of Prometheus's text format (what /metrics answers), so tests assert on the
 * numbers a scraper would see. prom-client cannot parse its own output.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export const parseExposition = (text: string): Sample[] => {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL))
      labels[key as string] = (value as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
};

/** The value of the one sample with this name whose labels include `labels`; 0 when none. */
export const sampleValue = (
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number => {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
};

/** Every label value of `label` seen on samples named `name`. */
export const labelValues = (samples: readonly Sample[], name: string, label: string): string[] => [
  ...new Set(
    samples.filter((s) => s.name === name && label in s.labels).map((s) => s.labels[label] as string),
  ),
];
