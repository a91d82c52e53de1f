/**
 * The pipeline's view of an upstream call, whatever carries it (undici to a real provider, or the
 * in-process mock): a request, a sink receiving the answer, a handle to pause, resume or abort.
 */

/** Response headers, lower-case names (as undici parses them). */
export type UpstreamHeaders = Record<string, string | string[] | undefined>;

export interface HttpUpstreamRequest {
  /** `https://api.openai.com` (scheme, host, port): one keep-alive pool per origin. */
  origin: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  /** Flat name/value list, as undici takes it. */
  headers: string[];
  body: Buffer | string;
  /** Pool size for the origin (provider.max_connections); used when the pool is created. */
  connections: number;
  /** TLS server name when it is not the origin's host (a configured `host` header). */
  servername?: string | undefined;
  /** Time allowed until the response headers (provider.timeout ?? server.request_timeout). */
  headersTimeout: number;
  /** Longest silence between body chunks (server.stream_idle_timeout). */
  bodyTimeout: number;
}

/**
 * Several calls made one after another and answered as one, for a provider's batch limit (Gemini
 * embeds at most 100 inputs per call). The first answer that is not a 2xx is the answer.
 */
export interface BatchedUpstreamRequest {
  batches: HttpUpstreamRequest[];
  /** The 2xx bodies of every batch, in order, as one body; throws when they do not add up. */
  merge(bodies: Buffer[]): Buffer;
}

/** Receives one upstream answer. After onEnd or onError nothing more arrives. */
export interface UpstreamSink {
  onStart(status: number, headers: UpstreamHeaders): void;
  /** False: the caller is not keeping up; nothing more arrives until the handle's resume(). */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  onError(err: Error): void;
}

export interface UpstreamHandle {
  /** Stop reading the answer (the client is not keeping up); resume() continues. */
  pause(): void;
  resume(): void;
  /** Cancel the call: the connection is closed and the sink hears nothing more. */
  abort(): void;
  /** The request went to a connection (written, or as soon as it connects); absent: always. */
  readonly sent?: boolean;
}
