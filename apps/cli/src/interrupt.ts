import { log } from './output.js';

/**
 * Ctrl-C (or SIGTERM) during training: the first stops it at the next step, with a checkpoint saved there; a
 * second, a moment later, quits at once (losing the steps since the last checkpoint). Presses within a second count as one: when
 * `hcr train` restarted itself, the terminal's SIGINT and the one the parent forwards arrive together.
 */
export function stopOnInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  let first = 0;
  const onInterrupt = () => {
    const now = Date.now();
    if (!first) {
      first = now;
      log('Ctrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)...');
      controller.abort();
    } else if (now - first > 1000) process.exit(130);
  };
  // SIGTERM too: `pnpm hcr train` passes Ctrl-C on to the command as SIGTERM, and a supervisor stopping the job
  // wants its checkpoint.
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const s of signals) process.on(s, onInterrupt);
  const dispose = () => {
    for (const s of signals) process.off(s, onInterrupt);
  };
  return { signal: controller.signal, dispose };
}
