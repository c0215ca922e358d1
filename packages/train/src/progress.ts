import cliProgress from 'cli-progress';

export interface ProgressTick {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  acc: number;
  /** Samples per second; `unit` names them (`img` when absent, `lines` for a line reader). */
  imagesPerS: number;
  unit?: string;
  etaS: number;
  /** Workers computing shards, of the pool's (shown when some are idle: other processes use the cores). */
  workers?: { active: number; size: number };
}

export interface ProgressReporter {
  start(epoch: number, epochs: number, steps: number, startStep: number): void;
  tick(t: ProgressTick): void;
  stop(): void;
}

function fmtWorkers(t: ProgressTick): string {
  return t.workers && t.workers.active < t.workers.size
    ? ` (${t.workers.active} of ${t.workers.size} workers busy)`
    : '';
}

function fmtEta(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** A cli-progress bar on a TTY; plain lines every `everyS` seconds otherwise (logs, CI). */
export function progressReporter(
  stream: NodeJS.WriteStream = process.stderr,
  log: (line: string) => void = (l) => stream.write(`${l}\n`),
  everyS = 15,
): ProgressReporter {
  if (stream.isTTY) {
    let bar: cliProgress.SingleBar | undefined;
    return {
      start(epoch, epochs, steps, startStep) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format:
              'epoch {epoch}/{epochs} [{bar}] {value}/{total} loss {loss} acc {acc} {rate} ETA {etaText}{workers}',
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(steps, startStep, {
          epoch: epoch + 1,
          epochs,
          loss: '-',
          acc: '-',
          rate: '-',
          etaText: '?',
          workers: '',
        });
      },
      tick(t) {
        bar?.update(t.step, {
          epoch: t.epoch + 1,
          epochs: t.epochs,
          loss: t.loss.toFixed(4),
          acc: t.acc.toFixed(4),
          rate: `${Math.round(t.imagesPerS)} ${t.unit ?? 'img'}/s`,
          etaText: fmtEta(t.etaS),
          workers: fmtWorkers(t),
        });
      },
      stop() {
        bar?.stop();
        bar = undefined;
      },
    };
  }
  let last = 0;
  return {
    start(epoch, epochs, steps, startStep) {
      last = Date.now();
      log(
        `epoch ${epoch + 1}/${epochs}: ${steps} steps${startStep ? ` (resuming at step ${startStep})` : ''}`,
      );
    },
    tick(t) {
      const now = Date.now();
      if (now - last < everyS * 1000 && t.step < t.steps) return;
      last = now;
      log(
        `epoch ${t.epoch + 1}/${t.epochs} step ${t.step}/${t.steps} loss ${t.loss.toFixed(4)} acc ${t.acc.toFixed(4)} ` +
          `${Math.round(t.imagesPerS)} ${t.unit ?? 'img'}/s ETA ${fmtEta(t.etaS)}${fmtWorkers(t)}`,
      );
    },
    stop() {},
  };
}
