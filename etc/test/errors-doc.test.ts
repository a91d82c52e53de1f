/** docs/errors.md documents exactly the codes of packages/shared/src/errors.ts, with their table data. */
import t from 'tap';
import { ERRORS, type ErrorCode } from '../../packages/shared/src/errors.js';
import { readRepoFile } from './helpers.js';

const doc = readRepoFile('docs/errors.md');

/** `## GW_ERR_X` headings and the text of each section, up to the next `## `. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    out.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return out;
}

const documented = sections(doc);
const codes = Object.keys(ERRORS) as ErrorCode[];

t.test('every error code has its own section', async (t) => {
  for (const code of codes) t.ok(documented.has(code), `## ${code}`);
});

t.test('the docs list no unknown code', async (t) => {
  const headings = [...documented.keys()];
  t.same(headings.filter((h) => !(h in ERRORS)), [], 'every ## heading is a code of ERRORS');
  const mentioned = new Set(doc.match(/GW_ERR_[A-Z_]+/g) ?? []);
  t.same([...mentioned].filter((c) => !(c in ERRORS)), [], 'no unknown GW_ERR_* anywhere in the page');
});

t.test('each section states the status and both protocol types of the table', async (t) => {
  for (const code of codes) {
    const body = documented.get(code) ?? '';
    const spec = ERRORS[code];
    const line = /^Status: \*\*(\d{3})\*\* · OpenAI type: `([a-z_]+)` · Anthropic type: `([a-z_]+)`$/m.exec(body);
    t.ok(line, `${code}: status line present`);
    if (!line) continue;
    t.same(
      { status: Number(line[1]), openaiType: line[2], anthropicType: line[3] },
      { status: spec.status, openaiType: spec.openaiType, anthropicType: spec.anthropicType },
      `${code}: matches ERRORS`,
    );
    t.match(body, /^When: /m, `${code}: says when it happens`);
    t.match(body, /^Caller: /m, `${code}: says what the caller should do`);
  }
});
