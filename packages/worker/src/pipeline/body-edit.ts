/**
 * Edits of a forwarded JSON body (same-protocol calls: OpenAI and Anthropic) on its bytes, instead of JSON.stringify of the parsed body and
 * a UTF-8 encode of the result (about 3.6 ns per byte: ~0.9-1.7 ms for a 250 KB chat history,
 * which agents resend on every turn).
 * - Pure additions (stream_options for a streamed call, the SDKs' default): the new members are
 *   inserted after the opening brace and the rest is copied (75 us for 250 KB).
 * - Renames and drops: the top-level members are located by a byte scanner (strings skipped with
 *   indexOf; only worth it on large bodies: below SCAN_MIN_BYTES re-serialising is cheaper, unless
 *   a number would not survive it: mayHoldLossyNumber) and
 *   the object is rebuilt from the untouched members' bytes and the edited ones.
 * The body was already parsed (valid JSON). Anything unexpected (not an object, a key being edited
 * found twice, where parsers disagree on which one wins) returns null: the caller re-serialises.
 */

export interface BodyEdits {
  /** Members absent from the body to add (JSON text of each value). */
  add: ReadonlyMap<string, string>;
  /** Members present in the body to replace (JSON text of each value). */
  replace: ReadonlyMap<string, string>;
  /** Members present in the body to drop. */
  drop: ReadonlySet<string>;
}

/** Below this, editing the parsed body and re-serialising costs about as much as a scan. */
export const SCAN_MIN_BYTES = 16 * 1024;

interface Member {
  key: string;
  /** Offset of the key's opening quote. */
  start: number;
  /** Offset just after the value. */
  end: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** The edited body, or null when it must be re-serialised (see above). */
export function editBody(body: Buffer, edits: BodyEdits): Buffer | null {
  if (edits.replace.size === 0 && edits.drop.size === 0) return insertMembers(body, edits.add);
  return body.length >= SCAN_MIN_BYTES || mayHoldLossyNumber(body) ? spliceMembers(body, edits) : null;
}

/**
 * Number forms that JSON.parse and JSON.stringify do not give back as written: exponents (`1e400`
 * is null, `1E5` 100000), 16 or more significant digits (an int64 `seed` is rounded), fractions
 * ending in 0 (`1.0` is 1), `-0`, and fractions below 1e-6 (`0.0000001` is 1e-7). A body holding
 * one is edited on its bytes whatever its size, so the upstream gets the caller's digits. Tested on
 * the whole text, strings included: a match inside a string only costs the slower edit.
 */
const LOSSY_NUMBER = /[0-9][eE]|[0-9][0-9.]{15}|\.[0-9]*0(?![0-9])|-0(?![.0-9])|\.0{6}/;

function mayHoldLossyNumber(body: Buffer): boolean {
  // latin1: one char per byte, no UTF-8 decoding; the pattern is ASCII.
  return LOSSY_NUMBER.test(body.toString('latin1'));
}

const NO_MEMBERS: ReadonlyMap<string, string> = new Map();
const NO_KEYS: ReadonlySet<string> = new Set();

/** The body with its top-level `model` set to `model`, or null: re-serialise (see editBody). */
export function renameModel(body: Buffer, model: string): Buffer | null {
  return editBody(body, { add: NO_MEMBERS, replace: new Map([['model', JSON.stringify(model)]]), drop: NO_KEYS });
}

/** `add` inserted after the opening brace of a non-empty object; null otherwise. */
export function insertMembers(body: Buffer, add: ReadonlyMap<string, string>): Buffer | null {
  if (add.size === 0) return null;
  const brace = skipSpace(body, skipBom(body));
  // An empty object would be left with a trailing comma (validation never lets one through).
  if (body[brace] !== OPEN_OBJECT || body[skipSpace(body, brace + 1)] === CLOSE_OBJECT) return null;
  let members = '{';
  for (const [key, value] of add) members += `${JSON.stringify(key)}:${value},`;
  return Buffer.concat([Buffer.from(members), body.subarray(brace + 1)]);
}

/** All the edits, on the located top-level members; null when a key is not where it should be. */
export function spliceMembers(body: Buffer, edits: BodyEdits): Buffer | null {
  const members = topLevelMembers(body);
  if (members === null) return null;
  const found = new Map<string, number>();
  for (const { key } of members) if (edits.add.has(key) || edits.replace.has(key) || edits.drop.has(key)) found.set(key, (found.get(key) ?? 0) + 1);
  for (const key of edits.add.keys()) if (found.has(key)) return null;
  for (const key of [...edits.replace.keys(), ...edits.drop]) if (found.get(key) !== 1) return null;
  let head = '{';
  for (const [key, value] of edits.add) head += `${head.length > 1 ? ',' : ''}${JSON.stringify(key)}:${value}`;
  const parts: Buffer[] = [];
  let empty = head.length === 1;
  for (const member of members) {
    if (edits.drop.has(member.key)) continue;
    const value = edits.replace.get(member.key);
    if (value !== undefined) {
      head += `${empty ? '' : ','}${JSON.stringify(member.key)}:${value}`;
      empty = false;
      continue;
    }
    parts.push(Buffer.from(`${head}${empty ? '' : ','}`));
    head = '';
    parts.push(body.subarray(member.start, member.end));
    empty = false;
  }
  parts.push(Buffer.from(`${head}}`));
  return Buffer.concat(parts);
}

/** The top-level members of a JSON object body in order, or null when it is not one. */
export function topLevelMembers(body: Buffer): Member[] | null {
  let i = skipSpace(body, skipBom(body));
  if (body[i] !== OPEN_OBJECT) return null;
  const members: Member[] = [];
  i = skipSpace(body, i + 1);
  if (body[i] === CLOSE_OBJECT) return members;
  for (;;) {
    if (body[i] !== QUOTE) return null;
    const start = i;
    const keyEnd = skipString(body, i);
    if (keyEnd < 0) return null;
    i = skipSpace(body, keyEnd);
    if (body[i] !== COLON) return null;
    const end = skipValue(body, skipSpace(body, i + 1));
    if (end < 0) return null;
    members.push({ key: decodeKey(body, start, keyEnd), start, end });
    i = skipSpace(body, end);
    if (body[i] === CLOSE_OBJECT) return members;
    if (body[i] !== COMMA) return null;
    i = skipSpace(body, i + 1);
  }
}

/** parseJsonBody accepts a UTF-8 byte order mark before the JSON: it is not forwarded. */
function skipBom(body: Buffer): number {
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
}

function skipSpace(body: Buffer, i: number): number {
  for (;;) {
    const c = body[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/**
 * `i` is at an opening quote; the offset after the closing one, or -1. Jumps from quote to quote
 * with indexOf (native, memchr-fast: strings are most of a chat body); a quote preceded by an odd
 * run of backslashes is escaped.
 */
function skipString(body: Buffer, i: number): number {
  for (;;) {
    i = body.indexOf(QUOTE, i + 1);
    if (i < 0) return -1;
    let backslashes = 0;
    while (body[i - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return i + 1;
  }
}

/** `i` is at the first byte of a value; the offset after it, or -1. */
function skipValue(body: Buffer, i: number): number {
  const first = body[i];
  if (first === QUOTE) return skipString(body, i);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (; i < body.length; i++) {
      const c = body[i];
      if (c === QUOTE) {
        i = skipString(body, i) - 1;
        if (i < 0) return -1;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return i + 1;
    }
    return -1;
  }
  // A number or a literal: up to the next delimiter.
  for (; i < body.length; i++) {
    const c = body[i];
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
  }
  return i;
}

/** Keys are compared with ASCII names only: latin1 is exact for those; escaped keys decode as JSON does. */
function decodeKey(body: Buffer, start: number, end: number): string {
  const text = body.toString('latin1', start + 1, end - 1);
  return text.includes('\\') ? (JSON.parse(body.toString('utf8', start, end)) as string) : text;
}
