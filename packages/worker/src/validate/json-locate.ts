/**
 * Finds the first JSON syntax error in a text: a small iterative scanner (no recursion, so any
 * nesting depth is fine), run only after JSON.parse has failed.
 */

export interface JsonErrorLocation {
  reason: string;
  /** 0-based character offset. */
  position: number;
  /** 1-based. */
  line: number;
  column: number;
}

const enum State {
  Value,
  Key,
  AfterValue,
}
const OBJECT = 0;
const ARRAY = 1;

class SyntaxProblem {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {}
}

function show(text: string, i: number): string {
  return i >= text.length ? 'end of input' : `character ${JSON.stringify(text[i])}`;
}

export function locateJsonError(text: string): JsonErrorLocation {
  let problem: SyntaxProblem;
  try {
    scan(text);
    problem = new SyntaxProblem('invalid JSON', text.length);
  } catch (err) {
    if (!(err instanceof SyntaxProblem)) throw err;
    problem = err;
  }
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < problem.position && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { reason: problem.reason, position: problem.position, line, column: problem.position - lineStart + 1 };
}

function scan(text: string): void {
  const n = text.length;
  const stack: number[] = [];
  let state = State.Value;
  let i = 0;
  const skipSpace = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      i++;
    }
  };
  const unexpected = (what?: string): never => {
    throw new SyntaxProblem(what ?? `unexpected ${show(text, i)}`, i);
  };
  for (;;) {
    skipSpace();
    if (state === State.Value) {
      if (i >= n) unexpected('unexpected end of input, expected a value');
      const c = text[i];
      if (c === '{' || c === '[') {
        stack.push(c === '{' ? OBJECT : ARRAY);
        i++;
        skipSpace();
        if (text[i] === (c === '{' ? '}' : ']')) {
          stack.pop();
          i++;
          state = State.AfterValue;
        } else state = c === '{' ? State.Key : State.Value;
        continue;
      }
      if (c === '"') i = scanString(text, i);
      else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) i = scanNumber(text, i);
      else i = scanWord(text, i);
      state = State.AfterValue;
    } else if (state === State.Key) {
      if (text[i] !== '"') unexpected(`unexpected ${show(text, i)}, expected a property name in double quotes`);
      i = scanString(text, i);
      skipSpace();
      if (text[i] !== ':') unexpected(`unexpected ${show(text, i)}, expected ':' after a property name`);
      i++;
      state = State.Value;
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        if (i >= n) return;
        unexpected(`unexpected ${show(text, i)} after the end of the JSON value`);
      }
      const close = top === OBJECT ? '}' : ']';
      if (text[i] === ',') {
        i++;
        state = top === OBJECT ? State.Key : State.Value;
      } else if (text[i] === close) {
        stack.pop();
        i++;
      } else unexpected(`unexpected ${show(text, i)}, expected ',' or '${close}'`);
    }
  }
}

const LITERALS = ['true', 'false', 'null'];

/** true / false / null; any other word (an unquoted string, `tru`) is reported as such. */
function scanWord(text: string, start: number): number {
  const word = /[A-Za-z_$][\w$]*/y;
  word.lastIndex = start;
  const found = word.exec(text)?.[0];
  if (found === undefined) throw new SyntaxProblem(`unexpected ${show(text, start)}, expected a value`, start);
  if (LITERALS.includes(found)) return start + found.length;
  if (start + found.length >= text.length && LITERALS.some((literal) => literal.startsWith(found))) {
    throw new SyntaxProblem('unexpected end of input', text.length);
  }
  const shown = JSON.stringify(found.length > 20 ? `${found.slice(0, 20)}...` : found);
  throw new SyntaxProblem(`unexpected word ${shown}, expected a value (strings must be in double quotes)`, start);
}

/** `i` is at the opening quote; returns the index after the closing one. */
function scanString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) throw new SyntaxProblem('control character in a string (escape it)', i);
    if (c === 0x5c) {
      const next = text[i + 1];
      if (next === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new SyntaxProblem('invalid \\u escape in a string', i);
        i += 6;
        continue;
      }
      if (next === undefined || !'"\\/bfnrt'.includes(next)) throw new SyntaxProblem('invalid escape in a string', i);
      i += 2;
      continue;
    }
    i++;
  }
  throw new SyntaxProblem('unterminated string', start);
}

function scanNumber(text: string, start: number): number {
  const match = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  match.lastIndex = start;
  const found = match.exec(text);
  if (found === null) throw new SyntaxProblem('invalid number', start);
  const end = start + found[0].length;
  // `01`, `1.`, `1e` and the like: the number stops short of more number-like characters.
  const next = text[end];
  if (next !== undefined && /[0-9.eE+-]/.test(next)) throw new SyntaxProblem('invalid number', start);
  return end;
}
