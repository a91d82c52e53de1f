/** OpenAI chat tools, tool_choice, the deprecated functions/function_call, and response_format. */
import { booleanField, objectField, requiredString, stringField } from './fields.js';
import { expected, isObject, oneOf, required } from './issue.js';

const TOOL_CHOICES = ['none', 'auto', 'required'];

export function checkOpenaiTools(req: Record<string, unknown>): void {
  const tools = req.tools;
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) expected(['tools'], 'an array of tools', tools);
    for (let i = 0; i < tools.length; i++) checkTool(tools[i], i);
  }
  checkToolChoice(req.tool_choice);
  booleanField(req, 'parallel_tool_calls');
  checkLegacyFunctions(req);
}

function checkTool(tool: unknown, i: number): void {
  if (!isObject(tool)) return expected(['tools', i], 'a tool object', tool);
  // Only function tools can be routed to every provider; OpenAI requires the type.
  if (tool.type !== 'function') {
    if (tool.type === undefined) required(['tools', i, 'type'], '"function"');
    expected(['tools', i, 'type'], '"function"', tool.type);
  }
  const fn = tool.function;
  if (!isObject(fn)) {
    if (fn === undefined) required(['tools', i, 'function'], 'an object with a "name"');
    expected(['tools', i, 'function'], 'an object with a "name"', fn);
  }
  checkFunctionDefinition(fn, ['tools', i, 'function']);
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
  if (choice.type !== 'function') expected(['tool_choice', 'type'], '"function"', choice.type);
  const fn = choice.function;
  if (!isObject(fn)) return expected(['tool_choice', 'function'], 'an object with a "name"', fn);
  requiredString(fn, 'name', ['tool_choice', 'function']);
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
