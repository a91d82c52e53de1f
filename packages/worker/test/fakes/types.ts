/**
 * The FakeUpstream contract (issue 3 design): local HTTP servers speaking the exact wire formats of
 * OpenAI, Anthropic and Gemini, scripted per request, recording what they received.
 */

export interface RecordedRequest {
  method: string;
  /** Path with the query string, e.g. `/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse`. */
  path: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** The API key the request carried where this provider expects it (undefined: none). */
  key: string | undefined;
  /** True once the caller closed the connection before the answer was complete (abort, timeout). */
  aborted: boolean;
  /** The behaviour this request consumed. */
  behaviour: Behaviour;
}

export type Behaviour =
  /** A normal protocol-correct answer (plain JSON or SSE, as the request asked). */
  | { kind: 'ok' }
  /** An error answer; the body defaults to the provider's own error shape for that status. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** The socket is destroyed before any response byte. */
  | { kind: 'reset-before-headers' }
  /** Headers and `afterEvents` SSE events (for plain answers: half the body) are sent, then the socket is destroyed. */
  | { kind: 'reset-mid-stream'; afterEvents: number }
  /** Nothing is ever sent; the request stays open until the caller gives up. */
  | { kind: 'hang' }
  /** A normal answer with `delayMs` before each SSE event (plain answers: before the headers). */
  | { kind: 'slow-stream'; delayMs: number }
  /** An answer calling the request's first tool (plain or streamed). */
  | { kind: 'tool-call' }
  /**
   * A normal text answer preceded by model reasoning, streamed word by word (OpenAI fake:
   * `reasoning_content`; Anthropic fake: a thinking block with a signature). Others ignore it.
   */
  | { kind: 'reasoning'; text: string };

export interface FakeOptions {
  /** When set, requests without exactly this key get the provider's authentication error. */
  requireKey?: string;
  /** Text of 'ok' answers (streamed word by word). */
  text?: string;
  /** Token counts reported in 'ok' answers; `prompt` includes `cached` (OpenAI convention). */
  usage?: { prompt: number; completion: number; cached: number };
  /** Arguments of 'tool-call' answers. */
  toolArguments?: Record<string, unknown>;
  /** When set, any other model gets the provider's "model not found" error. */
  knownModels?: string[];
  /** false: streams carry no usage even when asked (OpenAI-compatible servers that ignore include_usage). */
  streamUsage?: boolean;
  /**
   * OpenAI fake: streams open as Azure OpenAI's do, with a prompt-filter chunk that has no id, no
   * model, `created: 0` and no choices, before the normal chunks.
   */
  azurePromptFilter?: boolean;
}

export interface FakeUpstream {
  /** base_url to put in the gateway config (OpenAI: `.../v1`, Anthropic: origin, Gemini: `.../v1beta`). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Queues behaviours, consumed one per request in order; afterwards requests get 'ok'. */
  script(next: Behaviour[]): void;
  /** Forgets recorded requests and queued behaviours. */
  reset(): void;
  /** Resolves once `check` holds (polled), rejects after `timeoutMs`. */
  waitFor(what: string, check: (requests: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Default token counts, consistent across the three protocols: 25 prompt tokens of which 8 cached. */
export const DEFAULT_USAGE = { prompt: 25, completion: 9, cached: 8 } as const;
export const DEFAULT_TOOL_ARGUMENTS: Record<string, unknown> = { city: 'Paris', unit: 'celsius' };
