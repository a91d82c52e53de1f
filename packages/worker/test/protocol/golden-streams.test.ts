/**
 * Golden stream translations. The raw SSE bytes of each fixture are fed through SseParser in
 * awkward splits (whole, every byte, seeded random); every split must produce exactly the expected
 * output. Anthropic output must also pass the strictness checker.
 */
import t from 'tap';
import type { AnthropicStreamEvent } from '@gatewayd/shared';
import { AnthropicToOpenaiStream, OpenaiToAnthropicStream } from '../../src/providers/anthropic/index.js';
import { GeminiToOpenaiStream } from '../../src/providers/gemini/index.js';
import { SseParser } from '../../src/protocol/sse/parser.js';
import { anthropicSequenceViolations } from './helpers/anthropic-strict.js';
import { goldenFiles, updateGolden, updating, wire } from './helpers/golden.js';
import { awkwardSplits } from './helpers/splits.js';

interface StreamFixture {
  transform: 'AnthropicToOpenai' | 'OpenaiToAnthropic' | 'GeminiToOpenai' | 'GeminiToAnthropic';
  options: Record<string, unknown>;
  sse: string;
}

/** A transform fed with SSE data payloads: returns its outputs, and those of the final flush. */
interface Pipeline {
  data(payload: string): unknown[];
  end(): unknown[];
}

function pipeline(f: StreamFixture): Pipeline {
  const o = f.options as never;
  switch (f.transform) {
    case 'AnthropicToOpenai': {
      const s = new AnthropicToOpenaiStream(o);
      return { data: (d) => s.pushData(d), end: () => [] };
    }
    case 'OpenaiToAnthropic': {
      const s = new OpenaiToAnthropicStream(o);
      return { data: (d) => s.pushData(d), end: () => s.end() };
    }
    case 'GeminiToOpenai': {
      const s = new GeminiToOpenaiStream(o);
      return { data: (d) => s.pushData(d), end: () => s.end() };
    }
    case 'GeminiToAnthropic': {
      const gemini = new GeminiToOpenaiStream({ ...(f.options as { model: string }), includeUsage: true });
      const anthropic = new OpenaiToAnthropicStream({ model: (f.options as { model: string }).model });
      return {
        data: (d) => gemini.pushData(d).flatMap((c) => anthropic.push(c)),
        end: () => [...gemini.end().flatMap((c) => anthropic.push(c)), ...anthropic.end()],
      };
    }
  }
}

function run(f: StreamFixture, pieces: Uint8Array[]): unknown[] {
  const parser = new SseParser();
  const p = pipeline(f);
  const out: unknown[] = [];
  for (const piece of pieces) for (const event of parser.push(piece)) out.push(...p.data(event.data));
  for (const event of parser.end()) out.push(...p.data(event.data));
  out.push(...p.end());
  return wire(out) as unknown[];
}

const files = goldenFiles<StreamFixture>('streams');
t.ok(files.length >= 8, 'stream fixtures found');
for (const file of files) {
  t.test(file.name, async (t) => {
    const bytes = new TextEncoder().encode(file.data.sse);
    const reference = run(file.data, [bytes]);
    if (updating) updateGolden(file, reference);
    else t.strictSame(reference, file.data.expected, file.data.description);
    for (const split of awkwardSplits(bytes)) {
      t.strictSame(run(file.data, split.pieces), reference, `same output when split: ${split.name}`);
    }
    if (file.data.transform.endsWith('ToAnthropic')) {
      t.strictSame(anthropicSequenceViolations(reference as AnthropicStreamEvent[]), [], 'strict Anthropic event sequence');
    }
  });
}
