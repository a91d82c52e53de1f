/** Anthropic tools (custom and server tools), tool_choice and extended thinking. */
import { booleanField, objectField, requiredString, stringField } from './fields.js';
import { expected, fail, isObject, oneOf, required } from './issue.js';

const TOOL_CHOICE_TYPES = ['auto', 'any', 'tool', 'none'];
/** The API's minimum thinking budget. */
export const MIN_THINKING_BUDGET = 1024;

export function checkAnthropicTools(req: Record<string, unknown>): void {
  const tools = req.tools;
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) expected(['tools'], 'an array of tools', tools);
    for (let i = 0; i < tools.length; i++) checkTool(tools[i], i);
  }
  checkToolChoice(req);
}

function checkTool(tool: unknown, i: number): void {
  if (!isObject(tool)) return expected(['tools', i], 'a tool object', tool);
  const type = tool.type;
  // The MCP connector's mcp_toolset names its server (mcp_server_name), not itself.
  if (type !== 'mcp_toolset') requiredString(tool, 'name', ['tools', i]);
  if (type !== undefined && type !== null && type !== 'custom') {
    // Server tools (web_search_20250305, bash_20250124, ...) carry their own fields.
    if (typeof type !== 'string') expected(['tools', i, 'type'], 'a string', type);
    return;
  }
  stringField(tool, 'description', ['tools', i]);
  const schema = tool.input_schema;
  if (!isObject(schema)) {
    if (schema === undefined) required(['tools', i, 'input_schema'], 'a JSON schema object');
    expected(['tools', i, 'input_schema'], 'a JSON schema object', schema);
  }
  if (schema.type !== 'object') expected(['tools', i, 'input_schema', 'type'], '"object"', schema.type);
}

function checkToolChoice(req: Record<string, unknown>): void {
  const choice = objectField(req, 'tool_choice');
  if (choice === undefined) return;
  const type = choice.type;
  if (typeof type !== 'string' || !TOOL_CHOICE_TYPES.includes(type)) {
    if (type === undefined) required(['tool_choice', 'type'], oneOf(TOOL_CHOICE_TYPES));
    expected(['tool_choice', 'type'], oneOf(TOOL_CHOICE_TYPES), type);
  }
  if (type === 'tool') requiredString(choice, 'name', ['tool_choice']);
  booleanField(choice, 'disable_parallel_tool_use', ['tool_choice']);
  if (type === 'any' || type === 'tool') checkChoiceIsOffered(req, choice);
}

/**
 * "any" needs tools and "tool" one of them by name: Anthropic answers 400 otherwise, and a
 * translated request would force a tool its provider never sees (or none at all).
 */
function checkChoiceIsOffered(req: Record<string, unknown>, choice: Record<string, unknown>): void {
  const tools = (Array.isArray(req.tools) ? req.tools : []) as Array<{ type?: string; name?: string }>;
  // The MCP connector's tools are its servers': their names are not known here.
  const mcpServers = req.mcp_servers;
  if ((Array.isArray(mcpServers) && mcpServers.length > 0) || tools.some((tool) => tool.type === 'mcp_toolset')) return;
  if (choice.type === 'tool') {
    if (!tools.some((tool) => tool.name === choice.name)) fail(['tool_choice', 'name'], `no tool named ${JSON.stringify(choice.name)} in "tools"`);
    return;
  }
  if (tools.length === 0) fail(['tool_choice', 'type'], '"any" is only allowed when "tools" are specified');
}

/** `thinking`: enabled needs budget_tokens >= 1024. */
export function checkThinking(req: Record<string, unknown>): void {
  const thinking = objectField(req, 'thinking');
  if (thinking === undefined) return;
  const type = thinking.type;
  if (typeof type !== 'string') {
    if (type === undefined) required(['thinking', 'type'], oneOf(['enabled', 'disabled']));
    expected(['thinking', 'type'], oneOf(['enabled', 'disabled']), type);
  }
  if (type !== 'enabled') return;
  const budget = thinking.budget_tokens;
  if (typeof budget !== 'number' || !Number.isSafeInteger(budget)) {
    if (budget === undefined) required(['thinking', 'budget_tokens'], 'an integer');
    expected(['thinking', 'budget_tokens'], 'an integer', budget);
  }
  if (budget < MIN_THINKING_BUDGET) fail(['thinking', 'budget_tokens'], `must be at least ${MIN_THINKING_BUDGET}, got ${budget}`);
  // Not checked against max_tokens: with interleaved thinking (an anthropic-beta) the budget may
  // exceed it, and without, Anthropic answers that itself.
}
