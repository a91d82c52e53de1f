/**
 * CPU accounting from Linux /proc: a server's own CPU time per request (steadier than rps when other
 * work shares the cores), and how much of the machine something other than the bench used while a
 * leg ran (so a noisy row can be told from a slow one).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface ProcStat {
  ppid: number;
  /** utime + stime */
  ticks: number;
  /** cutime + cstime: CPU of children already reaped */
  reapedTicks: number;
}

function readStat(pid: number | 'self'): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), reapedTicks: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined; // exited meanwhile, or no /proc
  }
}

function allStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  let names: string[] = [];
  try {
    names = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return stats;
  }
  for (const name of names) {
    const stat = readStat(Number(name));
    if (stat) stats.set(Number(name), stat);
  }
  return stats;
}

/** User+system CPU seconds of the given processes and all their live descendants, each counted once. */
export function cpuSeconds(roots: readonly number[]): number | undefined {
  const stats = allStats();
  if (!roots.some((pid) => stats.has(pid))) return undefined;
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const seen = new Set<number>();
  const pending = [...roots];
  let ticks = 0;
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    ticks += stats.get(pid)?.ticks ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}

export function treeCpuSeconds(rootPid: number): number | undefined {
  return cpuSeconds([rootPid]);
}

/** User+system CPU seconds of one process alone (not its children). */
export function processCpuSeconds(pid: number): number | undefined {
  const stat = readStat(pid);
  return stat ? stat.ticks / TICKS_PER_SECOND : undefined;
}

/** Busy CPU seconds of the whole machine (steal included: a hypervisor taking cores is load too). */
function machineBusySeconds(): number | undefined {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU of this bench: its own process tree (load generator, servers it spawned) plus reaped children (wrk). */
function benchSeconds(extraRoots: readonly number[]): number {
  const self = readStat('self');
  return (cpuSeconds([process.pid, ...extraRoots]) ?? 0) + (self ? self.reapedTicks / TICKS_PER_SECOND : 0);
}

/**
 * Measures, over an interval, the share of all cores used by processes outside the bench
 * (`extraRoots`: detached servers such as the daemonised gatewayd). Percent of machine capacity.
 */
export function startForeignLoadMeter(extraRoots: readonly number[]): () => number | undefined {
  const wall = process.hrtime.bigint();
  const machine = machineBusySeconds();
  const bench = benchSeconds(extraRoots);
  return () => {
    const machineNow = machineBusySeconds();
    if (machine === undefined || machineNow === undefined) return undefined;
    const seconds = Number(process.hrtime.bigint() - wall) / 1e9;
    const foreign = machineNow - machine - (benchSeconds(extraRoots) - bench);
    return Math.max(0, (100 * foreign) / (seconds * cpus().length));
  };
}
