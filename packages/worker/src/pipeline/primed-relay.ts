/**
 * A translated stream's first upstream read is decoded before the attempt commits (Attempt): an
 * answer the gateway cannot read from its start fails the attempt and fails over, as a plain
 * answer would, instead of a 200 with an error event. The relay that decoded it goes on as this
 * wrapper, whose first push writes what that read gave (or throws what it threw).
 */
import type { ChunkWriter, StreamRelay, TokenUsage } from './types.js';

/** The first read through `relay`: what it wrote, or what it threw (`error` set) after writing that. */
export interface FirstRead {
  written: Array<string | Uint8Array>;
  error?: unknown;
  failed: boolean;
}

export function readFirst(relay: StreamRelay, chunk: Buffer): FirstRead {
  const written: Array<string | Uint8Array> = [];
  try {
    relay.push(chunk, { write: (data) => void written.push(data) });
    return { written, failed: false };
  } catch (error) {
    return { written, error, failed: true };
  }
}

export class PrimedRelay implements StreamRelay {
  private first: FirstRead | null;

  constructor(
    private readonly relay: StreamRelay,
    first: FirstRead,
  ) {
    this.first = first;
  }

  push(chunk: Buffer, out: ChunkWriter): void {
    const first = this.first;
    if (first === null) {
      this.relay.push(chunk, out);
      return;
    }
    this.first = null; // `chunk` is the read already decoded
    for (const data of first.written) out.write(data);
    if (first.failed) throw first.error;
  }

  finish(out: ChunkWriter): boolean {
    return this.relay.finish(out);
  }

  usage(): TokenUsage | undefined {
    return this.relay.usage();
  }

  complete(): boolean {
    return this.relay.complete?.() === true;
  }

  ended(): boolean {
    return this.relay.ended?.() === true;
  }
}
