/**
 * Canonical requests for both client protocols: text with a system prompt, tools (and the
 * follow-up carrying a tool result), and an image. Model names are filled in per test.
 */

/** A 1x1 transparent PNG. */
export const TINY_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

export const WEATHER_PARAMETERS = {
  type: 'object' as const,
  properties: {
    city: { type: 'string', description: 'City name' },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city'],
};

export const SYSTEM_PROMPT = 'You are a terse assistant.';
export const USER_TEXT = 'Say hello.';
export const WEATHER_QUESTION = 'What is the weather in Paris?';
export const TOOL_RESULT = '{"temperature":18,"condition":"cloudy"}';

export const openaiWeatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Current weather for a city', parameters: WEATHER_PARAMETERS },
};

export const anthropicWeatherTool = { name: 'get_weather', description: 'Current weather for a city', input_schema: WEATHER_PARAMETERS };

export const openai = {
  text: (model: string) => ({
    model,
    messages: [
      { role: 'system' as const, content: SYSTEM_PROMPT },
      { role: 'user' as const, content: USER_TEXT },
    ],
    max_tokens: 64,
    temperature: 0.2,
  }),
  tools: (model: string) => ({
    model,
    messages: [{ role: 'user' as const, content: WEATHER_QUESTION }],
    tools: [openaiWeatherTool],
    tool_choice: 'auto' as const,
    max_tokens: 64,
  }),
  /** The follow-up after the model called get_weather with `callId` and `args`. */
  toolResult: (model: string, callId: string, args: string) => ({
    model,
    messages: [
      { role: 'user' as const, content: WEATHER_QUESTION },
      { role: 'assistant' as const, content: null, tool_calls: [{ id: callId, type: 'function' as const, function: { name: 'get_weather', arguments: args } }] },
      { role: 'tool' as const, tool_call_id: callId, content: TOOL_RESULT },
    ],
    tools: [openaiWeatherTool],
    max_tokens: 64,
  }),
  image: (model: string) => ({
    model,
    messages: [
      {
        role: 'user' as const,
        content: [
          { type: 'text' as const, text: 'What is in this image?' },
          { type: 'image_url' as const, image_url: { url: `data:image/png;base64,${TINY_PNG_BASE64}` } },
        ],
      },
    ],
    max_tokens: 64,
  }),
};

export const anthropic = {
  text: (model: string) => ({
    model,
    max_tokens: 64,
    system: SYSTEM_PROMPT,
    messages: [{ role: 'user' as const, content: USER_TEXT }],
    temperature: 0.2,
  }),
  tools: (model: string) => ({
    model,
    max_tokens: 64,
    messages: [{ role: 'user' as const, content: WEATHER_QUESTION }],
    tools: [anthropicWeatherTool],
    tool_choice: { type: 'auto' as const },
  }),
  toolResult: (model: string, toolUseId: string, input: Record<string, unknown>) => ({
    model,
    max_tokens: 64,
    messages: [
      { role: 'user' as const, content: WEATHER_QUESTION },
      { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id: toolUseId, name: 'get_weather', input }] },
      { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: toolUseId, content: TOOL_RESULT }] },
    ],
    tools: [anthropicWeatherTool],
  }),
  image: (model: string) => ({
    model,
    max_tokens: 64,
    messages: [
      {
        role: 'user' as const,
        content: [
          { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: TINY_PNG_BASE64 } },
          { type: 'text' as const, text: 'What is in this image?' },
        ],
      },
    ],
  }),
};
