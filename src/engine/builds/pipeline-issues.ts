import type { z } from 'zod';
import { describeFound, isMapping, keyPath, typeName } from '../text/describe-value.js';
import { didYouMean } from '../text/suggest.js';
import { knownKeys } from './pipeline-schema.js';

type Path = readonly PropertyKey[];

/**
 * One schema issue in words: the key path, what was expected and what was found. `root` is the
 * file's raw value, for context the issue lacks (a stage's name, a sibling key).
 */
export const describeIssue = (issue: z.core.$ZodIssue, root: unknown): string[] => {
  const at = placeOf(issue.path, root);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map(
        (key) => `${keyPath([...issue.path, key])}: unknown key${didYouMean(key, keysAt(issue.path, root))}`,
      );
    case 'invalid_type':
      return [
        `${at}: expected ${typeName(issue.expected)}, found ${describeFound(issue.input)}${typeHint(issue, root)}`,
      ];
    case 'invalid_value':
      return [
        `${at}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${describeFound(issue.input)}`,
      ];
    case 'too_small': {
      const unit = Number(issue.minimum) === 1 ? 'item' : 'items';
      return [`${at}: expected at least ${issue.minimum} ${unit}, found ${describeFound(issue.input)}`];
    }
    default:
      return [`${at}: ${issue.message}`];
  }
};

/** Trigger problems also name the stage, since a trigger line alone does not say where it is. */
const placeOf = (path: Path, root: unknown): string => {
  const stagesAt = path.indexOf('stages');
  const index = path[stagesAt + 1];
  const inTrigger = path.includes('trigger') || path.includes('triggers');
  if (stagesAt < 0 || typeof index !== 'number' || !inTrigger) return keyPath(path);
  const stage = valueAt(root, path.slice(0, stagesAt + 2));
  const name = isMapping(stage) && typeof stage.name === 'string' ? stage.name.trim() : '';
  return name ? `${keyPath(path)} (stage "${name}")` : keyPath(path);
};

const typeHint = (issue: z.core.$ZodIssue, root: unknown): string => {
  const path = issue.path;
  const last = path.at(-1);
  if (path.at(-2) === 'script' && isMapping(issue.input)) {
    return ' (quote commands that contain ": ", or YAML reads them as a mapping)';
  }
  if (last === 'image' && issue.input === undefined) {
    const pipeline = valueAt(root, path.slice(0, -1));
    if (isMapping(pipeline) && 'machineTag' in pipeline) {
      return ' (machineTag has no meaning in Heckler: every build runs in a container of image)';
    }
  }
  return '';
};

const keysAt = (path: Path, root: unknown): string[] => {
  const last = path.at(-1);
  if (typeof last === 'number' && path.at(-2) === 'stages') return knownKeys.stage;
  if (last === 'trigger') return knownKeys.trigger;
  if (last === 'notify') return knownKeys.notify;
  if (last === 'slack') return knownKeys.slack;
  const topLevel = path.length === 0 && isMapping(root) && !('pipelines' in root);
  return topLevel ? [...knownKeys.pipeline, 'pipelines'] : knownKeys.pipeline;
};

const valueAt = (root: unknown, path: Path): unknown =>
  path.reduce<unknown>(
    (value, part) =>
      typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[part] : undefined,
    root,
  );
