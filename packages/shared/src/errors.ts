/**
 * Every error the gateway returns, in one table: a stable GW_ERR_* code, the HTTP status, and the
 * error `type` used in each client protocol. docs/errors.md documents each code (a test checks it).
 */
export interface ErrorSpec {
  status: number;
  /** OpenAI `error.type`. */
  openaiType: string;
  /** Anthropic `error.type`. */
  anthropicType: string;
  description: string;
}

export const ERRORS = {
  GW_ERR_BAD_JSON: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', description: 'The request body is not valid JSON.' },
  GW_ERR_BAD_REQUEST: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', description: 'A field is missing or has the wrong type.' },
  GW_ERR_UNAUTHORIZED: { status: 401, openaiType: 'authentication_error', anthropicType: 'authentication_error', description: 'No key, or a key that matches no gateway key (and cannot be passed through).' },
  GW_ERR_FORBIDDEN_MODEL: { status: 403, openaiType: 'permission_error', anthropicType: 'permission_error', description: 'The key is not allowed to call this model.' },
  GW_ERR_FORBIDDEN_ORIGIN: { status: 403, openaiType: 'permission_error', anthropicType: 'permission_error', description: 'A call without a gateway key came from a web page whose origin cors.origins does not list.' },
  GW_ERR_FORBIDDEN_HOST: { status: 403, openaiType: 'permission_error', anthropicType: 'permission_error', description: 'The admin API has no admin.token and the request was addressed to a name other than a loopback one.' },
  GW_ERR_NOT_FOUND: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error', description: 'No such endpoint.' },
  GW_ERR_UNKNOWN_MODEL: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error', description: 'The model is not configured (no name, alias or glob matches).' },
  GW_ERR_METHOD_NOT_ALLOWED: { status: 405, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', description: 'The endpoint exists but not for this HTTP method.' },
  GW_ERR_EXCEEDS_TOKEN_LIMIT: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', description: 'The output budget the request asks for (max_tokens, times n) is more than a tpm limit allows in a whole window.' },
  GW_ERR_BODY_TOO_LARGE: { status: 413, openaiType: 'invalid_request_error', anthropicType: 'request_too_large', description: 'The body exceeds server.body_limit.' },
  GW_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', description: 'The request body is compressed (content-encoding), or an upstream answered 415.' },
  GW_ERR_RATE_LIMITED: { status: 429, openaiType: 'rate_limit_error', anthropicType: 'rate_limit_error', description: 'A request, token or concurrency limit was reached; see retry-after.' },
  GW_ERR_UPSTREAM_RATE_LIMITED: { status: 429, openaiType: 'rate_limit_error', anthropicType: 'rate_limit_error', description: "The provider's own rate limit: every attempt ended in an upstream 429; see retry-after." },
  GW_ERR_INTERNAL: { status: 500, openaiType: 'server_error', anthropicType: 'api_error', description: 'A bug in the gateway; the request id identifies it in the logs.' },
  GW_ERR_UPSTREAM_ERROR: { status: 502, openaiType: 'server_error', anthropicType: 'api_error', description: 'Every upstream target failed or answered with an error that could not be retried.' },
  GW_ERR_UPSTREAM_UNAVAILABLE: { status: 503, openaiType: 'server_error', anthropicType: 'overloaded_error', description: 'No upstream target is available (all circuit breakers open or keys cooling down).' },
  GW_ERR_SHUTTING_DOWN: { status: 503, openaiType: 'server_error', anthropicType: 'overloaded_error', description: 'The worker is draining and accepts no new work on this connection.' },
  GW_ERR_STATE_UNAVAILABLE: { status: 503, openaiType: 'server_error', anthropicType: 'overloaded_error', description: 'Shared state (Redis) is unreachable and state.on_error is closed.' },
  GW_ERR_UPSTREAM_TIMEOUT: { status: 504, openaiType: 'server_error', anthropicType: 'api_error', description: 'The upstream did not answer within the request timeout, or a stream went idle.' },
  GW_ERR_STREAM_INTERRUPTED: { status: 502, openaiType: 'server_error', anthropicType: 'api_error', description: 'A stream failed after its first byte; sent as an error event in the stream.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** A failure with a stable code; its status and protocol types come from the table. */
export class GatewayError extends Error {
  readonly status: number;
  /** The offending request field as OpenAI names it (`messages[2].content`), for `error.param`. */
  readonly fieldPath: string | null;
  /** Machine-readable cause for Anthropic callers (`error.details`, e.g. `{error_code: ...}`), which their SDK acts on. */
  details: Record<string, unknown> | null = null;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    fieldPath: string | null = null,
  ) {
    super(message);
    this.name = 'GatewayError';
    this.status = ERRORS[code].status;
    this.fieldPath = fieldPath;
  }
}

/** OpenAI error body: `{error:{message,type,param,code}}`; `param` names the offending field, as OpenAI does. */
export function openaiErrorBody(code: ErrorCode, message: string, param: string | null = null): string {
  return JSON.stringify({ error: { message, type: ERRORS[code].openaiType, param, code } });
}

/** Anthropic error body: `{type:"error",error:{type,message}}`. */
export function anthropicErrorBody(code: ErrorCode, message: string, details: Record<string, unknown> | null = null): string {
  return JSON.stringify({ type: 'error', error: details === null ? { type: ERRORS[code].anthropicType, message } : { type: ERRORS[code].anthropicType, message, details } });
}
