export { MockAdapter } from './adapter.js';
export { MockChatUpstream, MockEmbeddingsUpstream } from './upstream.js';
export { mockEmbeddingsBody, mockVector, planMockEmbeddings, MOCK_MAX_EMBEDDING_INPUTS, MOCK_MAX_EMBEDDING_VALUES } from './embeddings.js';
export { resolveMockOptions, MOCK_OVERRIDE_LIMITS, type MockOptions, type MockOverrideHeaders } from './options.js';
export { planMockAnswer, mockCompletionBody, mockContent, type MockPlan } from './plan.js';
export { createMockStream, nextBurst, streamFinished, type MockStreamState } from './stream.js';
