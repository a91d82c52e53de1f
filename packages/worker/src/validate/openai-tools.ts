/** OpenAI chat tools, tool_choice, the deprecated functions/function_call, and response_format. */
import { booleanField, objectField, requiredString, stringField } from './fields.js';
import { expected, fail, isObject, oneOf, required } from './issue.js';

const TOOL_CHOICES = ['none', 'auto', 'required'];
const TOOL_TYPES = ['function', 'custom'];
const TOOL_CHOICE_TYPES = ['function', 'custom', 'allowed_tools'];

export function checkOpenaiTools(req: Record<string, unknown>): void {
  const tools = req.tools;
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) expected(['tools'], 'an array of tools', tools);
    for (let i = 0; i < tools.length; i++) checkTool(tools[i], i);
  }
  checkToolChoice(req.tool_choice);
  booleanField(req, 'parallel_tool_calls');
  checkLegacyFunctions(req);
  checkChoiceIsOffered(req);
}

function checkTool(tool: unknown, i: number): void {
  if (!isObject(tool)) return expected(['tools', i], 'a tool object', tool);
  // Function tools go to every provider; custom tools (GPT-5) to OpenAI providers only.
  if (tool.type === 'custom') return checkCustomTool(tool, i);
  if (tool.type !== 'function') {
    if (tool.type === undefined) required(['tools', i, 'type'], oneOf(TOOL_TYPES));
    expected(['tools', i, 'type'], oneOf(TOOL_TYPES), tool.type);
  }
  const fn = tool.function;
  if (!isObject(fn)) {
    if (fn === undefined) required(['tools', i, 'function'], 'an object with a "name"');
    expected(['tools', i, 'function'], 'an object with a "name"', fn);
  }
  checkFunctionDefinition(fn, ['tools', i, 'function']);
}

function checkCustomTool(tool: Record<string, unknown>, i: number): void {
  const custom = tool.custom;
  if (!isObject(custom)) {
    if (custom === undefined) required(['tools', i, 'custom'], 'an object with a "name"');
    expected(['tools', i, 'custom'], 'an object with a "name"', custom);
  }
  const base = ['tools', i, 'custom'];
  requiredString(custom, 'name', base);
  stringField(custom, 'description', base);
  const format = objectField(custom, 'format', base);
  if (format === undefined || format.type === 'text') return;
  if (format.type !== 'grammar') expected([...base, 'format', 'type'], oneOf(['text', 'grammar']), format.type);
  const grammar = format.grammar;
  if (!isObject(grammar)) return expected([...base, 'format', 'grammar'], 'an object with "definition" and "syntax"', grammar);
  requiredString(grammar, 'definition', [...base, 'format', 'grammar']);
  if (grammar.syntax !== 'lark' && grammar.syntax !== 'regex') expected([...base, 'format', 'grammar', 'syntax'], oneOf(['lark', 'regex']), grammar.syntax);
}

function checkFunctionDefinition(fn: Record<string, unknown>, base: Array<string | number>): void {
  requiredString(fn, 'name', base);
  stringField(fn, 'description', base);
  objectField(fn, 'parameters', base);
  booleanField(fn, 'strict', base);
}

function checkToolChoice(choice: unknown): void {
  // Not nullable: OpenAI does not document null, and the translators read undefined as "unset".
  if (choice === undefined) return;
  if (typeof choice === 'string') {
    if (!TOOL_CHOICES.includes(choice)) expected(['tool_choice'], `${oneOf(TOOL_CHOICES)} or {"type":"function","function":{"name":...}}`, choice);
    return;
  }
  if (!isObject(choice)) return expected(['tool_choice'], `${oneOf(TOOL_CHOICES)} or an object`, choice);
  if (choice.type === 'allowed_tools') return checkAllowedTools(choice.allowed_tools);
  checkNamedTool(choice, ['tool_choice']);
}

/** {"type":"function","function":{"name"}} or {"type":"custom","custom":{"name"}}. */
function checkNamedTool(named: Record<string, unknown>, base: Array<string | number>): void {
  if (named.type !== 'function' && named.type !== 'custom') expected([...base, 'type'], oneOf(TOOL_CHOICE_TYPES), named.type);
  const inner = named[named.type];
  if (!isObject(inner)) return expected([...base, named.type], 'an object with a "name"', inner);
  requiredString(inner, 'name', [...base, named.type]);
}

function checkAllowedTools(allowed: unknown): void {
  const base = ['tool_choice', 'allowed_tools'];
  if (!isObject(allowed)) return expected(base, 'an object with "mode" and "tools"', allowed);
  if (allowed.mode !== 'auto' && allowed.mode !== 'required') expected([...base, 'mode'], oneOf(['auto', 'required']), allowed.mode);
  const tools = allowed.tools;
  if (!Array.isArray(tools)) return expected([...base, 'tools'], 'an array of tools', tools);
  for (let i = 0; i < tools.length; i++) {
    const tool: unknown = tools[i];
    if (!isObject(tool)) expected([...base, 'tools', i], 'a tool object', tool);
    checkNamedTool(tool, [...base, 'tools', i]);
  }
}

type ToolKind = 'function' | 'custom';
type NamedTool = { type: ToolKind } & Partial<Record<ToolKind, { name: string }>>;

/** The names a tool_choice may force, by kind (the shapes are checked by then). */
function offeredTools(req: Record<string, unknown>): Record<ToolKind, Set<string>> {
  const offered = { function: new Set<string>(), custom: new Set<string>() };
  for (const tool of (req.tools ?? []) as NamedTool[]) offered[tool.type].add(tool[tool.type]!.name);
  // The deprecated functions are function tools on the way to any provider (protocol/legacy-functions.ts).
  for (const fn of (req.functions ?? []) as Array<{ name: string }>) offered.function.add(fn.name);
  return offered;
}

/**
 * A tool_choice (or function_call) must force a tool the request offers, and one that asks for a
 * tool ("required", a named or allowed tool) needs tools: OpenAI answers 400 otherwise, and a
 * translated request would force a tool its provider never sees (or none at all). "auto" without
 * tools asks for nothing; OpenAI refuses it too, but OpenAI-compatible servers take it, and
 * clients written for them send it.
 */
function checkChoiceIsOffered(req: Record<string, unknown>): void {
  const choice = req.tool_choice as 'none' | 'auto' | 'required' | NamedTool | { type: 'allowed_tools'; allowed_tools: { tools: NamedTool[] } } | undefined;
  const call = req.function_call;
  const asksNothing = choice === undefined || choice === 'none' || choice === 'auto';
  if (asksNothing && !isObject(call)) return;
  const offered = offeredTools(req);
  if (isObject(call) && !offered.function.has(call.name as string)) fail(['function_call', 'name'], `no function named ${JSON.stringify(call.name)} in "functions"`);
  if (asksNothing) return;
  if (typeof choice === 'object') {
    if (choice.type === 'allowed_tools') choice.allowed_tools.tools.forEach((tool, i) => checkOffered(tool, offered, ['tool_choice', 'allowed_tools', 'tools', i]));
    else checkOffered(choice, offered, ['tool_choice']);
  }
  if (offered.function.size + offered.custom.size === 0) fail(['tool_choice'], `${JSON.stringify(typeof choice === 'string' ? choice : choice.type)} is only allowed when "tools" are specified`);
}

function checkOffered(named: NamedTool, offered: Record<ToolKind, Set<string>>, base: Array<string | number>): void {
  const name = named[named.type]!.name;
  if (!offered[named.type].has(name)) fail([...base, named.type, 'name'], `no ${named.type} tool named ${JSON.stringify(name)} in "tools"`);
}

function checkLegacyFunctions(req: Record<string, unknown>): void {
  const functions = req.functions;
  if (functions !== undefined && functions !== null) {
    if (!Array.isArray(functions)) expected(['functions'], 'an array of functions', functions);
    for (let i = 0; i < functions.length; i++) {
      const fn: unknown = functions[i];
      if (!isObject(fn)) expected(['functions', i], 'a function object', fn);
      checkFunctionDefinition(fn, ['functions', i]);
    }
  }
  const call = req.function_call;
  if (call === undefined || call === null || call === 'none' || call === 'auto') return;
  if (!isObject(call)) return expected(['function_call'], '"none", "auto" or {"name":...}', call);
  requiredString(call, 'name', ['function_call']);
}

export function checkResponseFormat(req: Record<string, unknown>): void {
  const format = objectField(req, 'response_format');
  if (format === undefined) return;
  if (typeof format.type !== 'string') {
    if (format.type === undefined) required(['response_format', 'type'], oneOf(['text', 'json_object', 'json_schema']));
    expected(['response_format', 'type'], oneOf(['text', 'json_object', 'json_schema']), format.type);
  }
  if (format.type !== 'json_schema') return;
  const schema = format.json_schema;
  if (!isObject(schema)) {
    if (schema === undefined) required(['response_format', 'json_schema'], 'an object with a "name"');
    expected(['response_format', 'json_schema'], 'an object with a "name"', schema);
  }
  requiredString(schema, 'name', ['response_format', 'json_schema']);
  stringField(schema, 'description', ['response_format', 'json_schema']);
  objectField(schema, 'schema', ['response_format', 'json_schema']);
  booleanField(schema, 'strict', ['response_format', 'json_schema']);
}
