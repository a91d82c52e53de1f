/**
 * A cap on how deeply the request body nests. JSON.parse accepts any depth, but much that runs
 * afterwards walks the value recursively (JSON.stringify of a rewritten body, the cache key's
 * stable serialization, the translators), and ~10k levels overflow the stack there: a RangeError,
 * hence a 500. Refusing such bodies once, before anything else reads them, covers every one of
 * those sites and the next one written, where catching RangeError at each would not (and could
 * hide real bugs). Real requests nest a few levels, tool JSON Schemas a few dozen at most.
 */

export const MAX_NESTING = 128;

/** The top-level field under which the body nests more than MAX_NESTING levels, if any. */
export function tooDeepField(body: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(body)) {
    const value = body[key];
    // The body itself is level 1, so each field may nest MAX_NESTING - 1 levels.
    if (typeof value === 'object' && value !== null && nestsDeeper(value, MAX_NESTING - 1)) return key;
  }
  return undefined;
}

/** Whether arrays and objects nest more than `limit` levels, `root` being level 1. An explicit stack: no recursion. */
function nestsDeeper(root: object, limit: number): boolean {
  const values: object[] = [root];
  const levels: number[] = [1];
  while (values.length > 0) {
    const value = values.pop() as object;
    const level = levels.pop() as number;
    if (level > limit) return true;
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        levels.push(level + 1);
      }
    }
  }
  return false;
}
