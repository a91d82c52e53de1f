/**
 * Golden translation tests for requests and responses: each fixture names the function, its input
 * and the exact expected output (compared in JSON wire form).
 */
import t from 'tap';
import { anthropicToOpenaiRequest, anthropicToOpenaiResponse, openaiToAnthropicRequest, openaiToAnthropicResponse } from '../../src/providers/anthropic/index.js';
import { geminiToOpenaiEmbeddings, geminiToOpenaiResponse, openaiToGeminiEmbeddings, openaiToGeminiRequest } from '../../src/providers/gemini/index.js';
import { chatToCompletionResponse, completionToChatRequest } from '../../src/protocol/completions.js';
import { goldenFiles, updateGolden, updating, wire } from './helpers/golden.js';

// Fixtures are JSON: their inputs are trusted to match the wire types.
type Fixture = { fn: string; input: never; targetModel?: string; model?: string; ctx?: never };

const FUNCTIONS: Record<string, (f: Fixture) => unknown> = {
  openaiToAnthropicRequest: (f) => openaiToAnthropicRequest(f.input, f.targetModel ?? 'target'),
  anthropicToOpenaiRequest: (f) => anthropicToOpenaiRequest(f.input),
  openaiToGeminiRequest: (f) => openaiToGeminiRequest(f.input, f.targetModel),
  anthropicToGeminiRequest: (f) => openaiToGeminiRequest(anthropicToOpenaiRequest(f.input), f.targetModel),
  completionToChatRequest: (f) => completionToChatRequest(f.input),
  openaiToGeminiEmbeddings: (f) => openaiToGeminiEmbeddings(f.input, f.targetModel),
  anthropicToOpenaiResponse: (f) => anthropicToOpenaiResponse(f.input, f.ctx),
  openaiToAnthropicResponse: (f) => openaiToAnthropicResponse(f.input, f.ctx),
  geminiToOpenaiResponse: (f) => geminiToOpenaiResponse(f.input, f.model ?? 'model', f.ctx),
  chatToCompletionResponse: (f) => chatToCompletionResponse(f.input),
  geminiToOpenaiEmbeddings: (f) => geminiToOpenaiEmbeddings(f.input, f.ctx as never),
};

for (const subdir of ['requests', 'responses']) {
  const files = goldenFiles<Fixture>(subdir);
  t.ok(files.length >= 8, `${subdir}: fixtures found`);
  for (const file of files) {
    t.test(file.name, async (t) => {
      const fn = FUNCTIONS[file.data.fn];
      if (!fn) throw new Error(`unknown fn ${file.data.fn}`);
      const inputBefore = JSON.stringify(file.data.input);
      const actual = wire(fn(file.data));
      t.equal(JSON.stringify(file.data.input), inputBefore, 'input not mutated');
      if (updating) updateGolden(file, actual);
      else t.strictSame(actual, file.data.expected, file.data.description);
    });
  }
}
