/**
 * Checks for optional scalar fields of an object: `obj[key]` is absent (undefined), null when
 * allowed, or of the right type and range. `base` is the object's own path (top level: none).
 */
import { expected, fail, oneOf, type PathSegment } from './issue.js';

const TOP: readonly PathSegment[] = [];

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /**
   * An int64 field (OpenAI's `seed`): integers up to ±2^63 are taken, although beyond 2^53 the
   * parsed number is rounded (the raw bytes, forwarded unchanged, keep the caller's digits).
   */
  int64?: boolean;
  /** Defaults to true: most optional OpenAI fields are nullable, and null is treated as absent. */
  nullable?: boolean;
}

function at(base: readonly PathSegment[], key: string): PathSegment[] {
  return [...base, key];
}

function rangeText(rule: NumberRule): string {
  if (rule.min !== undefined && rule.max !== undefined) return `between ${rule.min} and ${rule.max}`;
  if (rule.min !== undefined) return `at least ${rule.min}`;
  return `at most ${rule.max}`;
}

/** Validates a number (not a field): used for required numbers and array items. */
export function checkNumberValue(value: unknown, rule: NumberRule, path: () => readonly PathSegment[]): void {
  const integer = rule.integer === true;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    expected(path(), integer ? 'an integer' : 'a number', value);
  }
  if (integer && !Number.isSafeInteger(value)) {
    const limit = rule.int64 === true ? 2 ** 63 : Number.MAX_SAFE_INTEGER;
    if (Math.abs(value) > limit) fail(path(), `is too large: at most ${rule.int64 === true ? '2^63' : '2^53 - 1'} in magnitude`);
  }
  if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
    fail(path(), `must be ${integer ? 'an integer ' : ''}${rangeText(rule)}, got ${value}`);
  }
}

export function numberField(obj: Record<string, unknown>, key: string, rule: NumberRule, base = TOP): void {
  const value = obj[key];
  if (value === undefined || (value === null && rule.nullable !== false)) return;
  checkNumberValue(value, rule, () => at(base, key));
}

export function booleanField(obj: Record<string, unknown>, key: string, base = TOP, nullable = true): void {
  const value = obj[key];
  if (value === undefined || (value === null && nullable) || typeof value === 'boolean') return;
  expected(at(base, key), 'a boolean', value);
}

export function stringField(obj: Record<string, unknown>, key: string, base = TOP, nullable = true): void {
  const value = obj[key];
  if (value === undefined || (value === null && nullable) || typeof value === 'string') return;
  expected(at(base, key), 'a string', value);
}

export function enumField(obj: Record<string, unknown>, key: string, values: readonly string[], base = TOP, nullable = true): void {
  const value = obj[key];
  if (value === undefined || (value === null && nullable)) return;
  if (typeof value !== 'string' || !values.includes(value)) expected(at(base, key), oneOf(values), value);
}

/** A required non-empty string (model names, ids, tool names). */
export function requiredString(obj: Record<string, unknown>, key: string, base = TOP): string {
  const value = obj[key];
  if (typeof value === 'string' && value.length > 0) return value;
  if (value === undefined) fail(at(base, key), 'required field is missing (expected a non-empty string)');
  return expected(at(base, key), 'a non-empty string', value);
}

/**
 * Longest `model` accepted. Real names are far shorter; the cap bounds what a caller can make the
 * gateway keep per name (glob resolution and target caches hold every requested name) and the
 * cost of matching it against globs and allowlists.
 */
export const MAX_MODEL_LENGTH = 256;

/** The required `model` name, at most MAX_MODEL_LENGTH characters. */
export function modelField(obj: Record<string, unknown>): string {
  const model = requiredString(obj, 'model');
  if (model.length > MAX_MODEL_LENGTH) fail(['model'], `expected at most ${MAX_MODEL_LENGTH} characters, got ${model.length}`);
  return model;
}

/** `[...strings]` with an optional maximum count. */
export function stringArrayField(obj: Record<string, unknown>, key: string, maxItems: number, base = TOP): void {
  const value = obj[key];
  if (value === undefined || value === null) return;
  if (!Array.isArray(value)) return expected(at(base, key), 'an array of strings', value);
  if (value.length > maxItems) fail(at(base, key), `expected at most ${maxItems} items, got ${value.length}`);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') expected([...base, key, i], 'a string', value[i]);
  }
}

/** `{ [key]: string }` maps (OpenAI metadata). */
export function stringMapField(obj: Record<string, unknown>, key: string, base = TOP): void {
  const value = obj[key];
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) return expected(at(base, key), 'an object', value);
  for (const name of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[name];
    if (typeof item !== 'string') expected([...base, key, name], 'a string', item);
  }
}

/** An object or (when absent/null) nothing; returns it for further checks. */
export function objectField(obj: Record<string, unknown>, key: string, base = TOP): Record<string, unknown> | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return expected(at(base, key), 'an object', value);
  return value as Record<string, unknown>;
}
