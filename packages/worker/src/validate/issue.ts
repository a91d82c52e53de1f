/**
 * Validation plumbing shared by every validator. Checks are inline `if`s on the happy path and
 * field paths are built as segments only when something fails (or, for nested blocks, as small
 * arrays), so a valid request costs little beyond reading its fields.
 * A failure is thrown as an `Invalid` (no stack trace captured) and turned into an
 * InvalidRequestError at the validator's boundary, so validators never throw.
 */
import { GatewayError } from '@gatewayd/shared/errors';
import { MAX_NESTING, tooDeepField } from './nesting.js';

export type PathSegment = string | number;
/** OpenAI names fields `messages[2].content`, Anthropic `messages.2.content`. */
export type PathStyle = 'openai' | 'anthropic';

/** GW_ERR_BAD_REQUEST naming the offending field path (GatewayError.fieldPath: OpenAI's `error.param`). */
export class InvalidRequestError extends GatewayError {
  constructor(param: string, reason: string) {
    super('GW_ERR_BAD_REQUEST', param === '' ? reason : `${param}: ${reason}`, {}, param === '' ? null : param);
    this.name = 'InvalidRequestError';
  }

  /** The field path, '' for the body as a whole. */
  get param(): string {
    return this.fieldPath ?? '';
  }
}

class Invalid {
  constructor(
    readonly path: readonly PathSegment[],
    readonly reason: string,
  ) {}
}

export function fail(path: readonly PathSegment[], reason: string): never {
  throw new Invalid(path, reason);
}

/** `expected <what>, got <kind of value>`. */
export function expected(path: readonly PathSegment[], what: string, value: unknown): never {
  throw new Invalid(path, `expected ${what}, got ${describe(value)}`);
}

export function required(path: readonly PathSegment[], what: string): never {
  throw new Invalid(path, `required field is missing (expected ${what})`);
}

export function formatPath(style: PathStyle, path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += style === 'openai' ? `[${segment}]` : `${out === '' ? '' : '.'}${segment}`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/** Runs a validator body; the request object is returned as-is (typed), or the first problem. */
export function runValidation<T>(style: PathStyle, body: unknown, check: (request: Record<string, unknown>) => void): T | InvalidRequestError {
  if (!isObject(body)) return new InvalidRequestError('', `the request body must be a JSON object, got ${describe(body)}`);
  // First: what reads the body after this (the checks included) may recurse into it.
  const deep = tooDeepField(body);
  if (deep !== undefined) return new InvalidRequestError(formatPath(style, [deep]), `nested more than ${MAX_NESTING} levels deep`);
  try {
    check(body);
  } catch (err) {
    if (err instanceof Invalid) return new InvalidRequestError(formatPath(style, err.path), err.reason);
    throw err;
  }
  return body as T;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_SHOWN = 40;

/** A short description of a value for messages: its kind, and the value itself when small. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}...` : value)}`;
    case 'number':
      return Number.isFinite(value) ? `the number ${value}` : `${value}`;
    case 'boolean':
      return `${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

/** The values of an enumeration as `"a", "b" or "c"`. */
export function oneOf(values: readonly string[]): string {
  const quoted = values.map((v) => JSON.stringify(v));
  return quoted.length === 1 ? (quoted[0] as string) : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}
