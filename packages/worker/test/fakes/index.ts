/** Fake upstreams (OpenAI, Anthropic, Gemini wire formats), the real-gateway launcher, fixtures. */
export type { Behaviour, FakeOptions, FakeUpstream, RecordedRequest } from './types.js';
export { DEFAULT_TOOL_ARGUMENTS, DEFAULT_USAGE } from './types.js';
export { AZURE_PROMPT_FILTER_CHUNK, CUSTOM_TOOL_INPUT, startFakeOpenai, openaiError } from './openai.js';
export { startFakeAnthropic, anthropicError } from './anthropic.js';
export { startFakeGemini, geminiError } from './gemini.js';
export { startGateway, freePort, type Gateway, type GatewayOptions, type CliResult, type TestLike } from './gateway.js';
export * as fixtures from './fixtures.js';
