/**
 * CPU pinning for `bench serve` (Linux, util-linux's `taskset`): the load generator on a core of its own,
 * the server and raw onnxruntime on the others, so both get the same CPU budget and the client's work is
 * not counted against the server. Elsewhere (no taskset, one core) the bench runs unpinned.
 */
import { execFileSync } from 'node:child_process';

export interface Pinning {
  /** Cores of the server and of raw onnxruntime, as a taskset list (e.g. "0"). */
  serverCores: string;
  /** How many cores that is. */
  serverCoreCount: number;
  /** The load generator's core (this process). */
  clientCore: string;
  /** This process's affinity before pinning (to restore it). */
  original: string;
}

/** The cores this process may run on, as taskset's list ("0-1"), or undefined without taskset. */
function affinity(pid: number): string | undefined {
  try {
    const out = execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
    return /:\s*([\d,-]+)\s*$/.exec(out.trim())?.[1];
  } catch {
    return undefined;
  }
}

/** "0-2,4" -> [0, 1, 2, 4] */
function expand(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
  });
}

/**
 * The layout for this machine: the last allowed core for the load generator, the others for the server;
 * undefined when pinning is impossible (no taskset, fewer than 2 allowed cores).
 */
export function planPinning(): Pinning | undefined {
  const original = affinity(process.pid);
  if (!original) return undefined;
  const cores = expand(original);
  if (cores.length < 2) return undefined;
  const server = cores.slice(0, -1);
  return {
    serverCores: server.join(','),
    serverCoreCount: server.length,
    clientCore: String(cores.at(-1)),
    original,
  };
}

/** Moves every thread of this process (the load generator) to `cores`. */
export function pinSelf(cores: string): void {
  execFileSync('taskset', ['-a', '-c', '-p', cores, String(process.pid)], { stdio: 'ignore' });
}

/** The command that runs `args` under process.execPath on `cores` (or unpinned). */
export function pinnedCommand(args: string[], cores?: string): { command: string; args: string[] } {
  return cores
    ? { command: 'taskset', args: ['-c', cores, process.execPath, ...args] }
    : { command: process.execPath, args };
}
