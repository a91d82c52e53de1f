import type { ControlRequest } from '@gatewayd/shared';

/** One request per connection, one JSON document per line; anything bigger is not ours. */
export const MAX_CONTROL_LINE_BYTES = 64 * 1024;

export function parseControlRequest(line: string): ControlRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'request is not valid JSON';
  }
  if (typeof value !== 'object' || value === null) return 'request must be a JSON object';
  const { cmd, mode } = value as { cmd?: unknown; mode?: unknown };
  if (cmd === 'status' || cmd === 'reload') return { cmd };
  if (cmd === 'stop') return { cmd, mode: mode === 'fast' ? 'fast' : 'graceful' };
  return `unknown command ${JSON.stringify(cmd)}`;
}
