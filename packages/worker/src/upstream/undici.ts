/**
 * undici, for the health probes only (the data path uses gatewayd's own client, h1/). Loaded on
 * the first probe, not at start: its index costs ~180 ms of module evaluation, which would delay
 * every worker's `ready` (and crash restarts).
 */
export type Undici = typeof import('undici');

let loading: Promise<Undici> | null = null;

export function loadUndici(): Promise<Undici> {
  loading ??= import('undici');
  return loading;
}
