import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { writeSyntheticDataset } from '../src/synthetic.js';
import { train } from '../src/train.js';

/** The PyTorch peer lives in the shared folder beside the checkout: <repo>/../shared/peer (or HCR_PEER). */
const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const PEER = process.env.HCR_PEER ?? resolve(REPO_ROOT, '../shared/peer/seed_reference.py');
const PYTHON = '/usr/bin/python3';

export interface BenchTrainOptions {
  /** Training images per measurement (one epoch of a synthetic set), like the peer's --synthetic. */
  images?: number;
  batch?: number;
  workers?: number;
  engine?: 'auto' | 'wasm' | 'node' | 'cpu';
  /** Which of our configurations to run (default: all). */
  models?: string[];
  /** Skip the PyTorch peer even when it is installed. */
  noPeer?: boolean;
  log?: (line: string) => void;
}

export interface BenchTrainRow {
  name: string;
  imagesPerS: number;
  peerImagesPerS?: number;
  ratio?: number;
}

/** The peer's images/s, or why there is none: each cause named with its own fix. */
async function peerImagesPerS(images: number, batch: number): Promise<number | string> {
  if (!existsSync(PYTHON)) return `no ${PYTHON}: apt-get install python3 python3-torch`;
  if (!existsSync(PEER))
    return `no peer script at ${PEER}: set HCR_PEER to seed_reference.py (default: ../shared/peer beside the checkout)`;
  try {
    const { stdout } = await promisify(execFile)(
      PYTHON,
      [PEER, '--synthetic', String(images), '--epochs', '1', '--batch', String(batch)],
      { maxBuffer: 1 << 20 },
    );
    const line = stdout.trim().split('\n').pop() ?? '';
    const rate = JSON.parse(line).train_img_per_s;
    return typeof rate === 'number' ? rate : `${PEER} printed no train_img_per_s: ${line.slice(0, 200)}`;
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
    // python3 without torch: reported as such; any other failure by its last line (a traceback ends on the error)
    if (/No module named '?torch/.test(stderr))
      return `${PYTHON} has no torch: apt-get install python3-torch`;
    return `${PEER} failed: ${stderr.split('\n').pop()?.slice(0, 300) || (e as Error).message}`;
  }
}

/**
 * Training throughput of our pipeline (exactly what `hcr train` runs: worker replicas, gradient
 * averaging, AdamW) against the seed's PyTorch pipeline, one after the other, same batch size.
 * The peer does no augmentation, so `seed` is also measured without it for the like-for-like ratio.
 */
export async function benchTrain(opts: BenchTrainOptions = {}): Promise<BenchTrainRow[]> {
  const images = opts.images ?? 20000;
  const batch = opts.batch ?? 128;
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const dir = await mkdtemp(join(tmpdir(), 'hcr-bench-train-'));
  const configs = [
    { name: 'seed (no augmentation, like the peer)', model: 'seed', augment: false, peer: true },
    { name: 'seed (with augmentation)', model: 'seed', augment: true, peer: false },
    { name: 'hcrnet (with augmentation)', model: 'hcrnet', augment: true, peer: false },
  ].filter((c) => !opts.models || opts.models.includes(c.model));
  const rows: BenchTrainRow[] = [];
  try {
    await writeSyntheticDataset(join(dir, 'data'), { train: images, val: 36, test: 36, extra: 10 });
    log(
      `train bench: ${images} synthetic images, batch ${batch}, load average ${loadavg()[0]!.toFixed(2)} (other work may be running)` +
        (process.execArgv.includes('--single-threaded-gc')
          ? '; node --single-threaded-gc, as hcr train'
          : ''),
    );
    let peer: number | string | undefined;
    let peerTried = false;
    for (const [i, c] of configs.entries()) {
      const result = await train({
        config: {
          model: c.model,
          epochs: 1,
          batchSize: batch,
          workers: opts.workers,
          engine: opts.engine ?? 'auto',
          data: join(dir, 'data'),
          out: join(dir, 'runs'),
          checkpointEvery: 1_000_000,
          augment: { enabled: c.augment },
        },
        run: `bench-${i}`,
        log: () => {},
        progress: { start() {}, tick() {}, stop() {} },
      });
      const metrics = JSON.parse(await readFile(join(result.runDir, 'metrics.jsonl'), 'utf8'));
      const row: BenchTrainRow = { name: c.name, imagesPerS: metrics.images_per_s };
      if (c.peer && !opts.noPeer) {
        if (!peerTried) peer = await peerImagesPerS(images, batch);
        peerTried = true;
        if (typeof peer === 'number') {
          row.peerImagesPerS = peer;
          row.ratio = row.imagesPerS / peer;
        }
      }
      rows.push(row);
      log(
        `${c.name.padEnd(40)} ours ${Math.round(row.imagesPerS).toString().padStart(5)} img/s` +
          (row.peerImagesPerS
            ? `   peer (PyTorch seed) ${Math.round(row.peerImagesPerS)} img/s   ratio ${row.ratio!.toFixed(2)}x`
            : c.peer
              ? `   peer: not available (${typeof peer === 'string' ? peer : 'skipped'})`
              : ''),
      );
    }
    log(`load average after: ${loadavg()[0]!.toFixed(2)}`);
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  await benchTrain({ images: arg('images'), batch: arg('batch') });
}
