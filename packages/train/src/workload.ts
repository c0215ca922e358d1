import { availableParallelism, cpus } from 'node:os';

/**
 * How many of a run's worker replicas get gradient shards. Every replica holds the same weights and applies
 * every update, and a shard's arithmetic depends on its index, not on the worker that computes it, so this
 * choice changes the speed of a run, never its numbers.
 */
export interface ActiveWorkers {
  /** Called before each optimizer step: how many workers (1..pool size) compute this step's shards. */
  next(): number;
}

/** Every worker, every step (`hcr train --fixed-workers`). */
export const allWorkers = (size: number): ActiveWorkers => ({ next: () => size });

/** CPU time of the whole machine and of this process (all its threads), in milliseconds. */
export interface CpuSample {
  at: number;
  machineBusyMs: number;
  ownMs: number;
}

export function sampleCpu(at = performance.now()): CpuSample {
  let busy = 0;
  for (const { times } of cpus()) busy += times.user + times.nice + times.sys + times.irq;
  const own = process.cpuUsage();
  return { at, machineBusyMs: busy, ownMs: (own.user + own.system) / 1000 };
}

/**
 * The workers to keep busy between two samples: the cores that other processes left free, rounded, at least
 * one and at most `size`. Two trainings side by side on 2 cores then run one busy worker each: the LSTM
 * reader beside hcrnet made 1.11x the steps per second it made with two each, hcrnet 1.01x (`pnpm bench
 * beside`, 2026-12-04); alone, a training uses every worker.
 */
export function workersFor(before: CpuSample, after: CpuSample, size: number, cores: number): number {
  const wallMs = after.at - before.at;
  if (!(wallMs > 0)) return size;
  const others =
    Math.max(0, after.machineBusyMs - before.machineBusyMs - (after.ownMs - before.ownMs)) / wallMs;
  return Math.max(1, Math.min(size, cores - Math.round(others)));
}

export interface LoadPolicyOptions {
  /** Cores of the machine (default: `availableParallelism()`). */
  cores?: number;
  /** How long a measurement lasts before the count may change (default 5 s). */
  windowMs?: number;
  /** Milliseconds on a monotonic clock (default `performance.now`). */
  clock?: () => number;
  sample?: (at: number) => CpuSample;
}

/**
 * Follows the machine's load: at the first step after each `windowMs`, as many busy workers as `workersFor`
 * gives for the window just ended (the CPU is sampled only then, not every step).
 */
export function followMachineLoad(size: number, opts: LoadPolicyOptions = {}): ActiveWorkers {
  const cores = opts.cores ?? availableParallelism();
  const windowMs = opts.windowMs ?? 5000;
  const sample = opts.sample ?? sampleCpu;
  const clock = opts.clock ?? (() => performance.now());
  // Where the CPUs listed are not the ones this process may use (a container limited to some of a host's
  // cores lists them all), the machine's busy time says nothing about ours: keep every worker.
  if (size <= 1 || (!opts.sample && cpus().length !== cores)) return allWorkers(size);
  let active = size;
  let since = sample(clock());
  return {
    next() {
      const at = clock();
      if (at - since.at < windowMs) return active;
      const now = sample(at);
      active = workersFor(since, now, size, cores);
      since = now;
      return active;
    },
  };
}
