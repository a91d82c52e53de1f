/**
 * undici is loaded after the worker is listening, not at start: its index costs ~180 ms of
 * module evaluation, which would delay every worker's `ready` (and crash restarts). The first
 * upstream call waits for it if it is still loading.
 */
export type Undici = typeof import('undici');

let loaded: Undici | null = null;
let loading: Promise<Undici> | null = null;

export function loadUndici(): Promise<Undici> {
  loading ??= import('undici').then((module) => (loaded = module));
  return loading;
}

/** The module once loaded, else null (call loadUndici() and wait). */
export function undiciIfLoaded(): Undici | null {
  return loaded;
}
