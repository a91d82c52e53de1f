/**
 * A wildcard CORS origin (`https://*.example.com`, `http://localhost:*`), normalized, matched
 * against a normalized Origin header. Each `*` in the host stands for one or more dot-separated
 * labels of `[a-z0-9-]`; a trailing `:*` for an optional port of 1 to 5 digits.
 *
 * Not a RegExp: with several `*`s a backtracking RegExp takes time polynomial in the Origin's
 * length, of a degree that grows with the `*`s (2 s for 300 characters and four of them). Not the
 * two-pointer glob matcher either: a `*` here cannot absorb every character, so on a mismatch
 * growing the last `*` is not enough. The set of pattern positions reachable after each character
 * is tracked instead (an NFA simulation): O(origin length x pattern length), no backtracking.
 */

/** A token is a character code, or LABELS for a `*`. */
const LABELS = -1;
const DOT = 0x2e;

function isLabelChar(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d; // a-z 0-9 -
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

export class OriginPattern {
  private readonly tokens: number[] = [];
  private readonly anyPort: boolean;

  constructor(origin: string) {
    this.anyPort = origin.endsWith(':*');
    const body = this.anyPort ? origin.slice(0, -2) : origin;
    for (let i = 0; i < body.length; i++) {
      const code = body.charCodeAt(i);
      this.tokens.push(code === 0x2a ? LABELS : code);
    }
  }

  test(origin: string): boolean {
    if (this.matchesBody(origin)) return true;
    if (!this.anyPort) return false;
    // `:` and 1 to 5 digits at the end; the colon can only be the last one.
    const colon = origin.lastIndexOf(':');
    const digits = origin.length - colon - 1;
    if (colon === -1 || digits < 1 || digits > 5) return false;
    for (let i = colon + 1; i < origin.length; i++) if (!isDigit(origin.charCodeAt(i))) return false;
    return this.matchesBody(origin.slice(0, colon));
  }

  /**
   * States: `at[i]`, about to match token i (for a `*`: its first label character is due);
   * `inLabel[i]`, inside the labels of the `*` at token i right after a label character, where
   * the `*` may end (moving on to token i + 1), go on with the label, or start another after a dot.
   */
  private matchesBody(text: string): boolean {
    const tokens = this.tokens;
    const n = tokens.length;
    let at = new Uint8Array(n + 1);
    let inLabel = new Uint8Array(n);
    let nextAt = new Uint8Array(n + 1);
    let nextInLabel = new Uint8Array(n);
    at[0] = 1;
    for (let c = 0; c < text.length; c++) {
      const code = text.charCodeAt(c);
      nextAt.fill(0);
      nextInLabel.fill(0);
      for (let i = 0; i < n; i++) {
        const token = tokens[i] as number;
        if (token !== LABELS) {
          if (at[i] === 1 && token === code) nextAt[i + 1] = 1;
          continue;
        }
        if ((at[i] === 1 || inLabel[i] === 1) && isLabelChar(code)) nextInLabel[i] = 1;
        else if (inLabel[i] === 1 && code === DOT) nextAt[i] = 1;
      }
      // A `*` may end after any label character: the next token is then due as well.
      for (let i = 0; i < n; i++) if (nextInLabel[i] === 1) nextAt[i + 1] = 1;
      if (!nextAt.includes(1) && !nextInLabel.includes(1)) return false;
      [at, nextAt] = [nextAt, at];
      [inLabel, nextInLabel] = [nextInLabel, inLabel];
    }
    return at[n] === 1;
  }
}
