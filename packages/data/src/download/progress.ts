import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { ArchiveTransfer, DownloadProgress } from './download.js';

export interface ProgressReporter {
  onProgress: (e: DownloadProgress) => void;
  /** Prints a line (a notice, a retry) above the bars on a TTY, or as a plain line. */
  log: (line: string) => void;
  /** Finishes the bars (TTY); call it in a finally block. */
  stop: () => void;
}

export interface ProgressReporterOptions {
  /** Default process.stderr, so stdout stays clean for --json. */
  stream?: NodeJS.WriteStream;
  /** Plain lines are printed each time a file passes another `lineStepPercent` (default 25). */
  lineStepPercent?: number;
}

function size(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
/** "gzip.zip: fetched 46.2 MB of the 561.8 MB archive (9 Range requests)", or the whole-download form. */
export function describeArchiveTransfer(a: ArchiveTransfer): string {
  const name = a.url.split('/').pop() || a.url;
  const of = a.archiveBytes ? ` of the ${size(a.archiveBytes)} archive` : '';
  return a.mode === 'ranges'
    ? `${name}: fetched ${size(a.fetchedBytes)}${of} (${a.requests} Range requests: directory + needed members only)`
    : `${name}: downloaded the whole archive, ${size(a.fetchedBytes)} (the server does not serve Range requests)`;
}

const label = (e: DownloadProgress) => `${e.phase === 'extract' ? 'extract ' : ''}${e.dataset}/${e.file}`;

/**
 * A cli-progress bar per file on a TTY; on anything else (CI logs, pipes) a plain line every
 * `lineStepPercent` percent, or every 50 MB when the size is unknown.
 */
export function progressBarReporter(opts: ProgressReporterOptions = {}): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  return stream.isTTY ? ttyReporter(stream) : lineReporter(stream, opts.lineStepPercent ?? 25);
}

function ttyReporter(stream: NodeJS.WriteStream): ProgressReporter {
  const multi = new MultiBar(
    {
      stream,
      format: '{label} [{bar}] {percentage}% | {received} of {size} | {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, SingleBar>();
  let stopped = false;
  return {
    onProgress(e) {
      const key = label(e);
      const total = e.totalBytes ?? 0;
      const payload = {
        label: key,
        received: size(e.receivedBytes),
        size: e.totalBytes ? size(e.totalBytes) : '?',
      };
      let bar = bars.get(key);
      if (!bar) {
        stopped = false; // a new bar starts the redraws again
        bar = multi.create(total, e.receivedBytes, payload);
        bars.set(key, bar);
      }
      if (total && bar.getTotal() !== total) bar.setTotal(total);
      bar.update(e.receivedBytes, payload);
    },
    // While bars are drawn, cli-progress prints logged lines above them at its next redraw.
    log: (line) => (bars.size > 0 && !stopped ? multi.log(`${line}\n`) : stream.write(`${line}\n`)),
    stop: () => {
      if (bars.size > 0 && !stopped) multi.update(); // prints lines logged since the last redraw
      stopped = true;
      multi.stop();
    },
  };
}

function lineReporter(stream: NodeJS.WriteStream, stepPercent: number): ProgressReporter {
  const lastStep = new Map<string, number>();
  const UNKNOWN_STEP_BYTES = 50e6;
  return {
    onProgress(e) {
      const key = label(e);
      const step = e.totalBytes
        ? Math.floor((100 * e.receivedBytes) / e.totalBytes / stepPercent)
        : Math.floor(e.receivedBytes / UNKNOWN_STEP_BYTES);
      const prev = lastStep.get(key);
      if (prev !== undefined && step <= prev) return;
      lastStep.set(key, step);
      const amount = e.totalBytes
        ? `${Math.floor((100 * e.receivedBytes) / e.totalBytes)}% (${size(e.receivedBytes)} of ${size(e.totalBytes)})`
        : size(e.receivedBytes);
      stream.write(`${key}: ${amount}\n`);
    },
    log: (line) => stream.write(`${line}\n`),
    stop: () => {},
  };
}
