/**
 * Wildcard matching without RegExp. The names matched come from callers, and V8's backtracking
 * engine needs polynomial time (degree: the number of `*`s) on a long name that almost matches:
 * a glob with two `*`s against a 40 KB name blocked a worker for seconds. Both matchers here
 * compare UTF-16 code units, as a non-`u` RegExp did, and cost O(name length x pattern length).
 */

const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?

/**
 * `*` matches any run of characters (empty included); with `questionMark`, `?` matches exactly one
 * (otherwise it is literal). The classic two-pointer greedy algorithm: on a mismatch, only the
 * last `*` seen needs to grow, since it can absorb anything an earlier one could.
 */
export function wildcardMatches(pattern: string, text: string, questionMark: boolean): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length) {
      const code = pattern.charCodeAt(p);
      if (code === STAR) {
        starP = p++;
        starT = t;
        continue;
      }
      if (code === text.charCodeAt(t) || (questionMark && code === QUESTION)) {
        p++;
        t++;
        continue;
      }
    }
    if (starP === -1) return false;
    p = starP + 1;
    t = ++starT;
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) p++;
  return p === pattern.length;
}

/**
 * A glob split on its `*`s (`literals`: one more than there are `*`s), where each `*` matches a
 * non-empty run without `*`. Returns the runs, or undefined when `text` does not match. The runs
 * are those the regex `^L0([^*]+)L1([^*]+)...$` captured: earlier runs as long as possible. That is
 * every middle literal at its rightmost possible place, found right to left with lastIndexOf (each
 * search scans text the previous one did not, so the whole match is linear in the text).
 */
export function globRuns(literals: readonly string[], text: string): string[] | undefined {
  const stars = literals.length - 1;
  if (stars < 1 || text.includes('*')) return undefined;
  const first = literals[0] as string;
  const last = literals[stars] as string;
  if (!text.startsWith(first) || !text.endsWith(last)) return undefined;
  // starts[i]: where literal i begins; each run between two literals needs at least one character.
  const starts = new Array<number>(literals.length);
  starts[0] = 0;
  starts[stars] = text.length - last.length;
  for (let i = stars - 1; i >= 1; i--) {
    const literal = literals[i] as string;
    const latest = (starts[i + 1] as number) - 1 - literal.length;
    // lastIndexOf treats a negative position as 0, which would overlap the next literal.
    if (latest < 0) return undefined;
    const at = text.lastIndexOf(literal, latest);
    if (at === -1) return undefined;
    starts[i] = at;
  }
  if ((starts[1] as number) <= first.length) return undefined;
  const runs: string[] = [];
  for (let i = 1; i <= stars; i++) runs.push(text.slice((starts[i - 1] as number) + (literals[i - 1] as string).length, starts[i]));
  return runs;
}
