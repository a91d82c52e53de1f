/**
 * Text-or-token-ids inputs of the legacy completions `prompt` and the embeddings `input`:
 * a string, an array of strings, an array of token ids, or an array of arrays of token ids.
 */
import { expected, fail, required } from './issue.js';

const SHAPES = 'a string, an array of strings, an array of token ids or an array of token id arrays';

export function checkTextOrTokens(value: unknown, field: string, allowEmptyString: boolean): void {
  if (typeof value === 'string') {
    if (!allowEmptyString && value.length === 0) fail([field], 'expected a non-empty string, got an empty string');
    return;
  }
  if (value === undefined) required([field], SHAPES);
  if (!Array.isArray(value)) return expected([field], SHAPES, value);
  if (value.length === 0) fail([field], 'expected at least one item, got an empty array');
  const first: unknown = value[0];
  if (typeof first === 'string') {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'string') expected([field, i], 'a string like the other items', item);
      if (!allowEmptyString && item.length === 0) fail([field, i], 'expected a non-empty string, got an empty string');
    }
  } else if (typeof first === 'number') {
    checkTokenIds(value, [field]);
  } else if (Array.isArray(first)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (!Array.isArray(item)) expected([field, i], 'an array of token ids like the other items', item);
      if (item.length === 0) fail([field, i], 'expected at least one token id, got an empty array');
      checkTokenIds(item, [field, i]);
    }
  } else {
    expected([field, 0], 'a string, a token id or an array of token ids', first);
  }
}

function checkTokenIds(ids: unknown[], base: Array<string | number>): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) expected([...base, i], 'a token id (a non-negative integer)', id);
  }
}
