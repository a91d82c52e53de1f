/**
 * Reads a JSON object as it arrives in pieces (a tool call's `arguments`, streamed) and says how
 * much of each piece keeps the text a prefix of one JSON object, and what closes that prefix.
 * A model may emit broken arguments (small local models do); an Anthropic caller's `tool_use`
 * input must add up to an object, and what was streamed cannot be taken back. So the stream
 * forwards the accepted part only and, at the block's end, the closing text: the object as far
 * as it was valid. The plain answer gets the same object (toolInputOf), so both agree.
 */
import { isPlainObject } from './content.js';

type State =
  | 'value' // a value is expected (at the top: only `{`)
  | 'object-first' // after `{`: a key or `}`
  | 'object-key' // after `,` in an object: a key
  | 'colon' // after a key
  | 'after-value' // `,` or the container's closer
  | 'array-first' // after `[`: a value or `]`
  | 'string'
  | 'escape'
  | 'unicode'
  | 'minus' // `-`
  | 'zero' // a leading 0
  | 'int'
  | 'dot' // `.` without a digit yet
  | 'frac'
  | 'exp' // `e` without a digit yet
  | 'exp-sign'
  | 'exp-digits'
  | 'literal'
  | 'done';

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX = /^[0-9a-fA-F]$/;
const DIGIT = /^[0-9]$/;
/** Number states that end a complete number when another character comes. */
const NUMBER_DONE = new Set<State>(['zero', 'int', 'frac', 'exp-digits']);
/** Number states that need more digits: what closes them. */
const NUMBER_OPEN: Partial<Record<State, string>> = { minus: '0', dot: '0', exp: '0', 'exp-sign': '0' };

export class JsonObjectPrefix {
  private state: State = 'value';
  private readonly stack: Array<'{' | '['> = [];
  private stringIsKey = false;
  private unicodeLeft = 0;
  private literalLeft = '';
  private broken = false;
  /** A comma (and the space after it) not passed on yet (see push). */
  private held = '';

  /** Whether a whole object has been read. */
  get complete(): boolean {
    return this.state === 'done';
  }

  /**
   * The part of `text` to pass on: as far as the text stays a valid prefix, less a trailing comma
   * (and the space after it), held back until a value or key follows it, so that text broken
   * right after a comma closes without inventing a member for it. After a break: ''.
   */
  push(text: string): string {
    if (this.broken) return '';
    let out = '';
    // [from, i) is passed on as it is; a held comma and its space are not in it.
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (!this.step(c)) {
        this.broken = true;
        return this.held === '' ? out + text.slice(from, i) : out;
      }
      // A comma outside a string (which it leaves in 'string') separates members or items.
      if (c === ',' && this.state !== 'string') {
        out += text.slice(from, i);
        this.held = ',';
        from = i + 1;
      } else if (this.held !== '') {
        if (WHITESPACE.has(c)) {
          this.held += c;
          from = i + 1;
        } else {
          out += this.held; // a key or value follows: the comma is safe
          this.held = '';
          from = i;
        }
      }
    }
    return this.held === '' ? out + text.slice(from) : out;
  }

  /** What makes the text passed on one JSON object ('{}' when none was). */
  closing(): string {
    if (this.state === 'done') return '';
    if (this.stack.length === 0) return '{}';
    // Broken (or cut) right after a comma that was never passed on: close what is open.
    if (this.held !== '') return this.closers();
    let out = '';
    switch (this.state) {
      case 'escape':
        out += '\\"';
        break;
      case 'unicode':
        out += `${'0'.repeat(this.unicodeLeft)}"`;
        break;
      case 'string':
        out += '"';
        break;
      case 'literal':
        out += this.literalLeft;
        break;
      case 'colon':
        out += ':null';
        break;
      case 'value':
        out += 'null';
        break;
      default:
        out += NUMBER_OPEN[this.state] ?? '';
    }
    if ((this.state === 'string' || this.state === 'escape' || this.state === 'unicode') && this.stringIsKey) out += ':null';
    return out + this.closers();
  }

  /** The brackets that close the open containers, innermost first. */
  private closers(): string {
    let out = '';
    for (let i = this.stack.length - 1; i >= 0; i--) out += this.stack[i] === '{' ? '}' : ']';
    return out;
  }

  private step(c: string): boolean {
    switch (this.state) {
      case 'string':
        if (c === '"') return this.endValue(this.stringIsKey ? 'colon' : undefined);
        if (c === '\\') this.state = 'escape';
        else if (c < ' ') return false; // control characters must be escaped
        return true;
      case 'escape':
        if (c === 'u') {
          this.state = 'unicode';
          this.unicodeLeft = 4;
          return true;
        }
        if (!ESCAPES.has(c)) return false; // the state stays: the closing finishes the escape
        this.state = 'string';
        return true;
      case 'unicode':
        if (!HEX.test(c)) return false;
        if (--this.unicodeLeft === 0) this.state = 'string';
        return true;
      case 'literal':
        if (c !== this.literalLeft[0]) return false;
        this.literalLeft = this.literalLeft.slice(1);
        return this.literalLeft === '' ? this.endValue() : true;
      case 'minus':
        if (c === '0') this.state = 'zero';
        else if (DIGIT.test(c)) this.state = 'int';
        else return false;
        return true;
      case 'dot':
      case 'exp-sign':
        if (!DIGIT.test(c)) return false;
        this.state = this.state === 'dot' ? 'frac' : 'exp-digits';
        return true;
      case 'exp':
        if (c === '+' || c === '-') this.state = 'exp-sign';
        else if (DIGIT.test(c)) this.state = 'exp-digits';
        else return false;
        return true;
      default:
        break;
    }
    if (NUMBER_DONE.has(this.state)) {
      if (DIGIT.test(c) && this.state !== 'zero') return true;
      if (c === '.' && (this.state === 'zero' || this.state === 'int')) {
        this.state = 'dot';
        return true;
      }
      if ((c === 'e' || c === 'E') && this.state !== 'exp-digits') {
        this.state = 'exp';
        return true;
      }
      this.endValue();
      return this.step(c); // the number ended: the character belongs to what follows
    }
    if (WHITESPACE.has(c)) return true;
    switch (this.state) {
      case 'value':
        return this.startValue(c);
      case 'array-first':
        if (c === ']') return this.close();
        return this.startValue(c);
      case 'object-first':
        if (c === '}') return this.close();
        return this.startKey(c);
      case 'object-key':
        return this.startKey(c);
      case 'colon':
        if (c !== ':') return false;
        this.state = 'value';
        return true;
      case 'after-value': {
        const top = this.stack[this.stack.length - 1];
        if (c === ',') {
          this.state = top === '{' ? 'object-key' : 'value';
          return true;
        }
        return c === (top === '{' ? '}' : ']') && this.close();
      }
      default:
        return false; // 'done': nothing may follow the object
    }
  }

  private startKey(c: string): boolean {
    if (c !== '"') return false;
    this.state = 'string';
    this.stringIsKey = true;
    return true;
  }

  private startValue(c: string): boolean {
    if (this.stack.length === 0) {
      if (c !== '{') return false; // the arguments are an object
      this.stack.push('{');
      this.state = 'object-first';
      return true;
    }
    if (c === '{' || c === '[') {
      this.stack.push(c);
      this.state = c === '{' ? 'object-first' : 'array-first';
    } else if (c === '"') {
      this.state = 'string';
      this.stringIsKey = false;
    } else if (c === '-') this.state = 'minus';
    else if (c === '0') this.state = 'zero';
    else if (DIGIT.test(c)) this.state = 'int';
    else if (c === 't' || c === 'f' || c === 'n') {
      this.state = 'literal';
      this.literalLeft = (c === 't' ? 'true' : c === 'f' ? 'false' : 'null').slice(1);
    } else return false;
    return true;
  }

  private close(): boolean {
    this.stack.pop();
    return this.endValue();
  }

  /** A value (or a key, `next` = 'colon') ended. */
  private endValue(next?: State): boolean {
    if (next !== undefined) this.state = next;
    else this.state = this.stack.length === 0 ? 'done' : 'after-value';
    return true;
  }
}

/**
 * A tool call's `arguments` as the object Anthropic and Gemini hold (an answer to an Anthropic
 * caller, or an OpenAI caller's history sent to Claude or Gemini): as parsed when they are an
 * object, else the object as far as the text was valid (what a stream of them delivered), `{}`
 * when none of it was.
 */
export function toolInputOf(args: string | undefined | null): Record<string, unknown> {
  if (!args) return {};
  try {
    const value: unknown = JSON.parse(args);
    if (isPlainObject(value)) return value;
  } catch {
    // below
  }
  const prefix = new JsonObjectPrefix();
  const accepted = prefix.push(args);
  try {
    return JSON.parse(accepted + prefix.closing()) as Record<string, unknown>;
  } catch {
    return {}; // not expected: the prefix and its closing are one object
  }
}
