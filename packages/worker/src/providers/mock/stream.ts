/**
 * The mock's SSE stream as pure functions over explicit state, in OpenAI's wire format:
 * a role chunk, `chunks` content chunks, a finish_reason "stop" chunk, a usage chunk when
 * stream_options.include_usage is true (every other chunk then carries "usage":null), and
 * `data: [DONE]`. Frames are built from precomputed string pieces, not by serialising objects.
 *
 * The stream goes out in `chunks` bursts, one per tick: the first burst also carries the role
 * chunk, the last also the finish, usage and [DONE] frames.
 */
import { SSE_DONE } from '../../http/sse.js';
import type { MockPlan } from './plan.js';

export interface MockStreamState {
  readonly chunks: number;
  readonly roleFrame: string;
  readonly contentHead: string;
  readonly contentTail: string;
  /** JSON string literals: the first word, then every word with its leading space. */
  readonly firstPiece: string;
  readonly spacedPieces: readonly string[];
  readonly closingFrames: string;
  /** Content chunks emitted so far. */
  sent: number;
}

export function createMockStream(plan: MockPlan, includeUsage: boolean): MockStreamState {
  const envelope = `data: {"id":"${plan.id}","object":"chat.completion.chunk","created":${plan.created},"model":${JSON.stringify(plan.model)},"system_fingerprint":null,"choices":[`;
  const end = `]${includeUsage ? ',"usage":null' : ''}}\n\n`;
  const total = plan.promptTokens + plan.completionTokens;
  const usageFrame = includeUsage
    ? `${envelope}],"usage":{"prompt_tokens":${plan.promptTokens},"completion_tokens":${plan.completionTokens},"total_tokens":${total}}}\n\n`
    : '';
  return {
    chunks: plan.chunks,
    roleFrame: `${envelope}{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}${end}`,
    contentHead: `${envelope}{"index":0,"delta":{"content":`,
    contentTail: `},"logprobs":null,"finish_reason":null}${end}`,
    firstPiece: JSON.stringify(plan.words[0] ?? ''),
    spacedPieces: plan.words.map((w) => JSON.stringify(` ${w}`)),
    closingFrames: `${envelope}{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}${end}${usageFrame}${SSE_DONE}`,
    sent: 0,
  };
}

export function streamFinished(state: MockStreamState): boolean {
  return state.sent >= state.chunks;
}

/** The frames of the next burst; advances the state. Call only while !streamFinished(state). */
export function nextBurst(state: MockStreamState): string {
  const index = state.sent++;
  const piece = index === 0 ? state.firstPiece : (state.spacedPieces[index % state.spacedPieces.length] ?? '""');
  const frame = state.contentHead + piece + state.contentTail;
  const opening = index === 0 ? state.roleFrame + frame : frame;
  return state.sent >= state.chunks ? opening + state.closingFrames : opening;
}
