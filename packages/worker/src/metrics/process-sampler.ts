/** CPU, memory and event-loop lag of this worker, sampled once per report. */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { WorkerProcessSample } from '@gatewayd/shared/ipc';

const NS_PER_SECOND = 1e9;
const RESOLUTION_MS = 10;
/** The monitor's samples are whole timer intervals: an idle loop reads ~RESOLUTION_MS. Lag is the excess. */
const BASELINE_NS = RESOLUTION_MS * 1e6;

function lagSeconds(ns: number): number {
  return Number.isFinite(ns) && ns > BASELINE_NS ? (ns - BASELINE_NS) / NS_PER_SECOND : 0;
}

export class ProcessSampler {
  private lastCpu = process.cpuUsage();
  private readonly loop: IntervalHistogram;

  constructor() {
    this.loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.loop.enable();
  }

  sample(): WorkerProcessSample {
    const cpu = process.cpuUsage();
    const cpuMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    this.lastCpu = cpu;
    const memory = process.memoryUsage();
    const sampled = this.loop.count > 0;
    const sample: WorkerProcessSample = {
      cpuSecondsDelta: Math.max(0, cpuMicros) / 1e6,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      eventLoopLagMeanSeconds: sampled ? lagSeconds(this.loop.mean) : 0,
      eventLoopLagP99Seconds: sampled ? lagSeconds(this.loop.percentile(99)) : 0,
      eventLoopLagMaxSeconds: sampled ? lagSeconds(this.loop.max) : 0,
    };
    this.loop.reset();
    return sample;
  }

  stop(): void {
    this.loop.disable();
  }
}
