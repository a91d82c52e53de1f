/** The provider adapters, one per provider type (typed registry: every type must have one). */
import type { AdapterRegistry } from './adapter.js';
import { AnthropicAdapter } from '../providers/anthropic/adapter.js';
import { GeminiAdapter } from '../providers/gemini/adapter.js';
import { MockAdapter } from '../providers/mock/adapter.js';
import { OpenaiAdapter } from '../providers/openai/adapter.js';

export function createAdapters(): AdapterRegistry {
  return { openai: new OpenaiAdapter(), anthropic: new AnthropicAdapter(), gemini: new GeminiAdapter(), mock: new MockAdapter() };
}
