/**
 * How an answer is stored: `<expiry, epoch ms>\n<answer>`. The expiry travels with the entry so
 * that every reader (another worker's hot copy, another host on the same Redis) knows when it
 * ends without asking the store; the store's own TTL (LRU store, Redis PX) stays the authority
 * for the stored copy. The format is part of the cache key's version (key.ts).
 */
const NEWLINE = 0x0a;
/** Digits of an epoch-ms time until the year 2286, and some slack. */
const MAX_HEADER = 16;

export function frameEntry(answer: Buffer, expiresAt: number): Buffer {
  const header = `${Math.floor(expiresAt)}\n`;
  const framed = Buffer.allocUnsafe(header.length + answer.length);
  framed.write(header, 0, 'latin1');
  answer.copy(framed, header.length);
  return framed;
}

/** The answer and its expiry; null for bytes that are not an entry of this format. */
export function unframeEntry(stored: Buffer): { answer: Buffer; expiresAt: number } | null {
  const end = stored.indexOf(NEWLINE);
  if (end < 1 || end > MAX_HEADER) return null;
  const header = stored.toString('latin1', 0, end);
  if (!/^\d+$/.test(header)) return null;
  return { answer: stored.subarray(end + 1), expiresAt: Number(header) };
}
