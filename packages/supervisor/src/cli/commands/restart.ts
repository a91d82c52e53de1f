import type { StartArgs, StopArgs } from '../options.js';
import { runStart } from './start.js';
import { runStop } from './stop.js';

/** stop, then start with the same options; exits as start does. */
export async function runRestart(args: StartArgs & StopArgs): Promise<number> {
  const stopped = await runStop(args);
  if (stopped !== 0) return stopped;
  return runStart(args);
}
