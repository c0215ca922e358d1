import cliProgress from 'cli-progress';

/** Progress of a run over many images, on stderr: stdout keeps the rows (or the JSON document). */
export interface CountProgress {
  /** `n` more done. */
  add(n: number): void;
  stop(): void;
}

const SILENT: CountProgress = { add() {}, stop() {} };

/**
 * A bar on a TTY; elsewhere (a log, CI) a plain line every `everyS` seconds, so a short run prints nothing. Shown
 * only when the rows do not show the progress themselves: JSON comes at the end, and rows sent to a file or a pipe
 * are not on the screen.
 */
export function countProgress(
  total: number,
  noun: string,
  opts: { rowsOnScreen: boolean; stream?: NodeJS.WriteStream; everyS?: number },
): CountProgress {
  const stream = opts.stream ?? process.stderr;
  if (opts.rowsOnScreen || total < 2) return SILENT;
  const t0 = performance.now();
  let done = 0;
  const rate = () => done / Math.max((performance.now() - t0) / 1000, 1e-3);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `reading [{bar}] {value}/{total} ${noun} | {perSecond}/s | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { perSecond: '-' });
    return {
      add(n) {
        done += n;
        bar.update(done, { perSecond: rate().toFixed(1) });
      },
      stop: () => bar.stop(),
    };
  }
  const everyMs = (opts.everyS ?? 15) * 1000;
  let last = t0;
  return {
    add(n) {
      done += n;
      const now = performance.now();
      if (now - last < everyMs) return;
      last = now;
      stream.write(`read ${done} of ${total} ${noun} (${rate().toFixed(1)}/s)\n`);
    },
    stop() {},
  };
}
