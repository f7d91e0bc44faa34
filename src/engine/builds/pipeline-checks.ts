import { isMapping, keyPath } from '../text/describe-value.js';
import { OCELOT_ONLY_KEYS, parseDuration } from './pipeline-schema.js';

/**
 * Checks that span several keys (one runnable stage, repeated names) and warnings. They run on
 * the raw YAML value next to the schema, not after it: zod skips cross-field checks once any
 * field has an issue, and a file's problems should all be reported at once.
 */
export interface Findings {
  errors: string[];
  warnings: string[];
}

type Path = readonly (string | number)[];

/**
 * YAML already drops the space in `name : x`; a quoted `"name ": x` keeps it. Keys are trimmed
 * so both mean `name`, and two keys that trim to the same one are an error.
 */
export const trimKeys = (value: unknown, path: Path, findings: Findings): unknown => {
  if (Array.isArray(value)) return value.map((item, index) => trimKeys(item, [...path, index], findings));
  if (!isMapping(value)) return value;
  const out = new Map<string, unknown>();
  for (const [rawKey, item] of Object.entries(value)) {
    const key = rawKey.trim();
    if (out.has(key)) findings.errors.push(`${keyPath([...path, key])}: the key appears twice`);
    out.set(key, trimKeys(item, [...path, key], findings));
  }
  return Object.fromEntries(out);
};

export const checkPipeline = (raw: unknown, base: Path, findings: Findings): void => {
  if (!isMapping(raw)) return;
  const warn = (path: Path, text: string) => findings.warnings.push(`${keyPath(path)}${text}`);
  for (const key of OCELOT_ONLY_KEYS) {
    if (key in raw) warn([...base, key], ' has no meaning in Heckler and is ignored');
  }
  const slack = isMapping(raw.notify) ? raw.notify.slack : undefined;
  if (isMapping(slack) && 'identifier' in slack) {
    warn([...base, 'notify', 'slack', 'identifier'], ' has no meaning in Heckler and is ignored');
  }
  if (Array.isArray(raw.branches) && raw.branches.length > 1 && raw.branches.includes('ALL')) {
    warn([...base, 'branches'], ': ALL already matches every branch, so the other entries change nothing');
  }
  checkEnv(raw.env, [...base, 'env'], findings);
  if (Array.isArray(raw.stages)) checkStages(raw.stages, base, raw.timeout, findings);
};

const checkStages = (stages: unknown[], base: Path, buildTimeout: unknown, findings: Findings): void => {
  const timesSeen = new Map<string, number>();
  let runnable = 0;
  for (const [index, stage] of stages.entries()) {
    if (!isMapping(stage)) {
      runnable++;
      continue;
    }
    const at = [...base, 'stages', index];
    const name = typeof stage.name === 'string' ? stage.name.trim() : '';
    // Ocelot ran stages with the same name, and real files have them; the runner tells them apart
    // as build, build#2, … (records.ts stageKeys), so the warning names the key to use.
    const seen = (timesSeen.get(name) ?? 0) + 1;
    if (name !== '') timesSeen.set(name, seen);
    if (name !== '' && seen > 1) {
      findings.warnings.push(
        `${keyPath([...at, 'name'])}: '${name}' is used ${seen === 2 ? 'twice' : `${seen} times`}; refer to it as ${name}#${seen} in \`logs --stage\``,
      );
    }
    const label = `${keyPath(at)}${name ? ` ("${name}")` : ''}`;
    // A missing or mistyped script is the schema's to report; only an empty list is news here.
    if (!Array.isArray(stage.script) || stage.script.length > 0) runnable++;
    else findings.warnings.push(`${label} has an empty script and does nothing`);
    if (stage.trigger != null && stage.triggers != null) {
      findings.errors.push(`${label}: has both trigger: (Ocelot's older form) and triggers:; keep one`);
    }
    const oldTrigger = stage.trigger;
    if (isMapping(oldTrigger) && !(Array.isArray(oldTrigger.branches) && oldTrigger.branches.length > 0)) {
      findings.warnings.push(`${keyPath([...at, 'trigger'])}: lists no branches, so the stage always runs`);
    }
    if (longer(stage.timeout, buildTimeout)) {
      findings.warnings.push(
        `${keyPath([...at, 'timeout'])}: ${stage.timeout} is longer than the build's timeout (${buildTimeout}), which ends it first`,
      );
    }
    checkEnv(stage.env, [...at, 'env'], findings);
  }
  if (runnable === 0) {
    const found = stages.length === 0 ? ', found an empty list' : '';
    findings.errors.push(
      `${keyPath([...base, 'stages'])}: expected at least one stage with a non-empty script${found}`,
    );
  }
};

const longer = (stage: unknown, build: unknown): boolean => {
  const stageMs = typeof stage === 'string' ? parseDuration(stage) : undefined;
  const buildMs = typeof build === 'string' ? parseDuration(build) : undefined;
  return stageMs !== undefined && buildMs !== undefined && stageMs > buildMs;
};

const checkEnv = (env: unknown, at: Path, findings: Findings): void => {
  if (!Array.isArray(env)) return;
  const firstIndex = new Map<string, number>();
  for (const [index, entry] of env.entries()) {
    if (typeof entry !== 'string' || !entry.includes('=')) continue;
    const name = entry.slice(0, entry.indexOf('='));
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, index);
    else {
      findings.warnings.push(
        `${keyPath([...at, index])}: ${name} is already set by ${keyPath([...at, first])}; the last value wins`,
      );
    }
  }
};

const pipelineName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** `pipelines:` replaces the top-level pipeline; mixing the two would leave it unclear which runs. */
export const checkNamedPipelines = (root: Record<string, unknown>, findings: Findings): void => {
  for (const key of Object.keys(root)) {
    if (key !== 'pipelines') {
      findings.errors.push(`${key}: cannot sit beside pipelines:; move it into each pipeline that needs it`);
    }
  }
  const { pipelines } = root;
  if (!isMapping(pipelines)) return;
  const names = Object.keys(pipelines);
  if (names.length === 0)
    findings.errors.push(`pipelines: expected at least one pipeline, found an empty mapping`);
  for (const name of names) {
    if (!pipelineName.test(name)) {
      findings.errors.push(
        `pipelines.${name}: "${name}" is not a usable pipeline name (letters, digits, ".", "_" and "-", at most 63)`,
      );
    }
    checkPipeline(pipelines[name], ['pipelines', name], findings);
  }
};
