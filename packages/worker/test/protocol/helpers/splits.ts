/** Deterministic ways of cutting a byte stream into network reads. */

/** mulberry32: a tiny seeded PRNG, so "random" splits are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function splitEveryByte(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1));
  return out;
}

/** Pieces of 1..maxPiece bytes, cut at seeded random places. */
export function splitRandom(bytes: Uint8Array, seed: number, maxPiece = 17): Uint8Array[] {
  const random = seededRandom(seed);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(random() * maxPiece);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

export interface NamedSplit {
  name: string;
  pieces: Uint8Array[];
}

/** Whole, every byte, and five seeded random splittings. */
export function awkwardSplits(bytes: Uint8Array): NamedSplit[] {
  const splits: NamedSplit[] = [
    { name: 'whole', pieces: [bytes] },
    { name: 'every byte', pieces: splitEveryByte(bytes) },
  ];
  for (const seed of [1, 7, 42, 1234, 99991]) splits.push({ name: `random seed ${seed}`, pieces: splitRandom(bytes, seed, 1 + (seed % 40)) });
  return splits;
}
