import { spawn } from 'node:child_process';
import { availableParallelism, constants } from 'node:os';

/**
 * Training runs its worker threads with V8's garbage collector on their own threads. When the workers fill
 * every core, V8's background GC threads (concurrent marking, parallel scavenges, sweeping) take their cores
 * from the workers: on a 2-core machine `node --single-threaded-gc` trained the LSTM reader 1.2-1.3x faster
 * (41 -> 50 lines/s), the convolutional reader 1.14x and hcrnet 1.05x, with the same losses and weights (the
 * GC decides when memory is freed, not what is computed). V8 reads the flag only at start (set at run time,
 * it crashes the process), so `hcr train` starts itself again with it.
 */
export const GC_FLAG = '--single-threaded-gc';

/** Set in the restarted child: it has an IPC channel to the first process and stops when that one is gone. */
const CHILD_MARK = 'HCR_TRAIN_RESTARTED';

/** Whether a training with `workers` worker threads should run with the single-threaded GC. */
export function wantsSingleThreadedGc(
  workers: number,
  cores = availableParallelism(),
  execArgv: readonly string[] = process.execArgv,
): boolean {
  return workers >= cores && !execArgv.includes(GC_FLAG);
}

/**
 * Runs this command again in a child `node --single-threaded-gc` with the same arguments, terminal and
 * environment, forwarding the signals that stop it; resolves to the exit code to leave with.
 */
export function rerunWithSingleThreadedGc(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, GC_FLAG, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [CHILD_MARK]: '1' },
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of signals) process.on(s, forward);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      // A child stopped by a signal: the shell's convention, 128 + the signal's number.
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

/**
 * In the restarted child: exit at once when the first process dies, even by SIGKILL, which it cannot forward
 * (its IPC channel closes), so that no training goes on unseen writing checkpoints into a run directory.
 */
export function stopWithFirstProcess(): void {
  if (process.env[CHILD_MARK] !== '1' || !process.channel) return;
  process.channel.unref(); // the channel alone must not keep the training process alive
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
