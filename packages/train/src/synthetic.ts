import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng, LABEL_SPACE_36, type LabelSpace, sourceId } from '@hcr/core';
import {
  type DataManifest,
  DEFAULT_DATA_CONFIG,
  encodeShard,
  type SplitName,
  sha256,
} from '@hcr/data/reader';

const S = 28;

/** A learnable synthetic character: class k draws a bar at an angle and offset of its own, plus noise. */
function drawSample(k: number, rng: ReturnType<typeof createRng>, out: Uint8Array, at: number): void {
  const angle = (k * Math.PI) / 36;
  const off = (k % 6) - 3;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const d = Math.abs((x - 14) * s - (y - 14) * c - off);
      const v = Math.max(0, 1 - d / 2) * 230 + rng.next() * 25;
      out[at + y * S + x] = Math.min(255, Math.round(v));
    }
}

/**
 * Writes a small synthetic prepared dataset (manifest + one shard per split) that @hcr/data's reader
 * opens: for tests and for throughput benchmarks that must not depend on the real data being prepared.
 */
export async function writeSyntheticDataset(
  dir: string,
  counts: Record<SplitName, number> = { train: 256, val: 72, test: 72, extra: 40 },
  space: LabelSpace = LABEL_SPACE_36,
): Promise<void> {
  const classes = space.classes.length;
  const letters = space.id === LABEL_SPACE_36.id ? 'emnist-letters-repack' : 'emnist-byclass-repack';
  await mkdir(dir, { recursive: true });
  const rng = createRng(42);
  const shards: DataManifest['shards'] = [];
  const manifestCounts = {} as DataManifest['counts'];
  for (const split of ['train', 'val', 'test', 'extra'] as SplitName[]) {
    const n = counts[split];
    const pixels = new Uint8Array(n * S * S);
    const labels = new Uint8Array(n);
    const sources = new Uint8Array(n);
    const perClass = new Array(classes).fill(0);
    for (let i = 0; i < n; i++) {
      const k = split === 'extra' ? i % 10 : i % classes;
      labels[i] = k;
      sources[i] =
        split === 'extra' ? sourceId('emnist-digits-repack') : k < 10 ? sourceId('mnist') : sourceId(letters);
      perClass[k]++;
      drawSample(k, rng, pixels, i * S * S);
    }
    const bytes = encodeShard({ count: n, height: S, width: S, channels: 1, pixels, labels, sources });
    const file = `${split}-0000.shard`;
    await writeFile(join(dir, file), bytes);
    shards.push({ file, split, count: n, bytes: bytes.length, sha256: sha256(bytes) });
    manifestCounts[split] = { total: n, perClass, perSource: {} };
  }
  const manifest: DataManifest = {
    formatVersion: 1,
    shardFormatVersion: 1,
    labelSpace: space.id,
    classNames: [...space.classes],
    imageShape: [S, S, 1],
    letterSource: letters,
    config: {
      ...DEFAULT_DATA_CONFIG,
      extra: [...DEFAULT_DATA_CONFIG.extra],
      ...(classes === 36 ? {} : { labels: classes as 47 | 62 }),
    },
    processing: 'synthetic', // drawn here, from no raw files
    counts: manifestCounts,
    shards,
    rawInputs: [],
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}
