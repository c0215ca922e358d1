/**
 * Test fixtures made here, not downloaded: a tiny dataset of font-rendered characters in the real shard
 * format (so @hcr/data reads it exactly like prepared EMNIST), a small conv net briefly trained on it,
 * saved in the standard tfjs layout with metadata.json + metrics.jsonl, and its ONNX export.
 * Built once per machine into the temp dir (keyed by FIXTURE_VERSION) and reused by every test file.
 */
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRng,
  DEFAULT_INPUT_NORMALISATION,
  LABEL_SPACE_36,
  LINE_ALPHABET_36,
  type LineAlphabet,
  type ModelMetadata,
  type SourceName,
  sourceId,
  writeDirAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from '@hcr/core';
import {
  type DataManifest,
  DEFAULT_DATA_CONFIG,
  encodeShard,
  openDataset,
  pixelLookupTable,
  type ShardEntry,
  type SplitName,
  sha256,
} from '@hcr/data';
import { initEngine } from '@hcr/engine';
import { exportModelFile, writeOnnx } from '@hcr/export-onnx';
import { buildReader, LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE, saveModel } from '@hcr/model';
import type { Page } from '@hcr/test-browser';
import { createCanvas } from '@napi-rs/canvas';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const FIXTURE_VERSION = 3;
// Kept between test runs in the machine's temp dir (each run's own TMPDIR is removed at its end; vitest.tmpdir.ts).
export const FIXTURE_ROOT = join(
  process.env.HCR_TEST_CACHE_DIR ?? tmpdir(),
  `hcr-eval-fixture-v${FIXTURE_VERSION}`,
);
export const FIXTURE_DATA = join(FIXTURE_ROOT, 'data');
export const FIXTURE_MODELS = join(FIXTURE_ROOT, 'models');
export const FIXTURE_RUN = 'tiny-20260101-0000-fixture';

const FONTS = [
  'DejaVu Sans',
  'DejaVu Serif',
  'DejaVu Sans Mono',
  'bold DejaVu Sans',
  'DejaVu Sans Condensed',
];

/** One 28x28 white-on-black character, jittered in font, size, position and rotation. */
function renderGlyph(char: string, rng: ReturnType<typeof createRng>): Uint8Array {
  const canvas = createCanvas(28, 28);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#000000';
  ctx.fillRect(0, 0, 28, 28);
  ctx.translate(14 + (rng.next() - 0.5) * 4, 14 + (rng.next() - 0.5) * 4);
  ctx.rotate((rng.next() - 0.5) * 0.5);
  const size = 15 + Math.floor(rng.next() * 7);
  const face = FONTS[rng.int(FONTS.length)]!;
  ctx.font = face.startsWith('bold') ? `bold ${size}px ${face.slice(5)}` : `${size}px ${face}`;
  ctx.fillStyle = '#ffffff';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(char, 0, 1);
  const rgba = ctx.getImageData(0, 0, 28, 28).data;
  const out = new Uint8Array(784);
  for (let p = 0; p < 784; p++) out[p] = rgba[p * 4]!;
  return out;
}

interface SplitSpec {
  split: SplitName;
  perClass: number;
  /** Source of digit samples and of letter samples in this split. */
  digits: SourceName | null;
  letters: SourceName | null;
}

const SPLITS: SplitSpec[] = [
  { split: 'train', perClass: 40, digits: 'mnist', letters: 'emnist-letters-repack' },
  { split: 'val', perClass: 4, digits: 'mnist', letters: 'emnist-letters-repack' },
  { split: 'test', perClass: 10, digits: 'mnist', letters: 'emnist-letters-repack' },
  { split: 'extra', perClass: 20, digits: 'emnist-digits-repack', letters: null },
];

/** Writes shards + manifest.json for the glyph dataset into `dir`. */
export async function writeGlyphDataset(dir: string, seed = 1): Promise<void> {
  const rng = createRng(seed);
  const classes = LABEL_SPACE_36.classes;
  const shards: ShardEntry[] = [];
  const counts = {} as DataManifest['counts'];
  for (const spec of SPLITS) {
    const rows: { pixels: Uint8Array; label: number; source: number }[] = [];
    classes.forEach((char, c) => {
      const source = c < 10 ? spec.digits : spec.letters;
      if (!source) return;
      for (let i = 0; i < spec.perClass; i++)
        rows.push({ pixels: renderGlyph(char, rng), label: c, source: sourceId(source) });
    });
    const n = rows.length;
    const pixels = new Uint8Array(n * 784);
    rows.forEach((r, i) => {
      pixels.set(r.pixels, i * 784);
    });
    const bytes = encodeShard({
      count: n,
      height: 28,
      width: 28,
      channels: 1,
      pixels,
      labels: Uint8Array.from(rows.map((r) => r.label)),
      sources: Uint8Array.from(rows.map((r) => r.source)),
    });
    const file = `${spec.split}-0000.shard`;
    await writeFileAtomic(join(dir, file), bytes);
    shards.push({ file, split: spec.split, count: n, bytes: bytes.length, sha256: sha256(bytes) });
    const perClass = new Array<number>(classes.length).fill(0);
    const perSource: Partial<Record<SourceName, number>> = {};
    for (const r of rows) {
      perClass[r.label]!++;
      const name = r.label < 10 ? spec.digits! : spec.letters!;
      perSource[name] = (perSource[name] ?? 0) + 1;
    }
    counts[spec.split] = { total: n, perClass, perSource };
  }
  const manifest: DataManifest = {
    formatVersion: 1,
    shardFormatVersion: 1,
    labelSpace: 'hcr36',
    classNames: [...classes],
    imageShape: [28, 28, 1],
    letterSource: 'emnist-letters-repack',
    config: { ...DEFAULT_DATA_CONFIG, letters: 'emnist-letters-repack', extra: ['emnist-digits-repack'] },
    processing: 'synthetic',
    counts,
    shards,
    rawInputs: [],
  };
  await writeJsonAtomic(join(dir, 'manifest.json'), manifest);
}

/** A small Conv/MaxPool/Dense network with a softmax over the 36 classes. */
export function buildTinyModel(seed = 1, units = 36): tfl.LayersModel {
  const init = (i: number) => tfl.initializers.glorotUniform({ seed: seed * 100 + i });
  const model = tfl.sequential({ name: 'tiny' });
  model.add(
    tfl.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(1),
    }),
  );
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(
    tfl.layers.conv2d({
      filters: 16,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(2),
    }),
  );
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units, activation: 'softmax', kernelInitializer: init(3) }));
  return model;
}

/** Saves model.json + weights.bin the standard tfjs way (a directory save handler, as @hcr/model does). */
export async function saveLayersModel(model: tfl.LayersModel, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!));
      await writeFileAtomic(join(dir, 'weights.bin'), weights);
      await writeJsonAtomic(join(dir, 'model.json'), {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Trains the tiny model briefly on the glyph train split and writes a complete run directory. */
async function writeTrainedRun(dataDir: string, runDir: string): Promise<void> {
  await initEngine({ engine: 'wasm', purpose: 'train', log: () => {} });
  const dataset = await openDataset(dataDir);
  const train = await dataset.loadSplit('train');
  const val = await dataset.loadSplit('val');
  const lut = pixelLookupTable(DEFAULT_INPUT_NORMALISATION);
  const toX = (px: Uint8Array, n: number) =>
    tf.tensor4d(
      Float32Array.from(px, (v) => lut[v]!),
      [n, 28, 28, 1],
    );
  const toY = (labels: Uint8Array) => tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), 36);
  const model = buildTinyModel();
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const [x, y, vx, vy] = [
    toX(train.pixels, train.count),
    toY(train.labels),
    toX(val.pixels, val.count),
    toY(val.labels),
  ];
  const rows: string[] = [];
  const history = await model.fit(x, y, {
    epochs: 8,
    batchSize: 64,
    shuffle: true,
    validationData: [vx, vy],
    verbose: 0,
  });
  for (let e = 0; e < history.epoch.length; e++) {
    const h = history.history;
    rows.push(
      JSON.stringify({
        epoch: e + 1,
        step: (e + 1) * Math.ceil(train.count / 64),
        lr: 0.01,
        train_loss: h.loss![e],
        train_acc: h.acc![e],
        val_loss: h.val_loss![e],
        val_acc: h.val_acc![e],
        images_per_s: 1000,
        seconds: 1,
      }),
    );
  }
  tf.dispose([x, y, vx, vy]);
  await saveLayersModel(model, runDir);
  const metadata: ModelMetadata = {
    formatVersion: 1,
    id: FIXTURE_RUN,
    architecture: 'tiny',
    labelSpace: 'hcr36',
    classNames: [...LABEL_SPACE_36.classes],
    inputShape: [28, 28, 1],
    inputNormalisation: { ...DEFAULT_INPUT_NORMALISATION },
    characterNormalisation: dataset.manifest.config.normalise,
    letterSource: 'emnist-letters-repack',
    dataManifestSha256: dataset.manifestSha256,
    commit: 'fixture',
    createdAt: '2026-01-01T00:00:00.000Z',
    engine: 'wasm',
    trainingConfig: { epochs: 8, batchSize: 64, optimizer: 'adam', lr: 0.01 },
    metrics: { val_acc: history.history.val_acc!.at(-1) as number },
  };
  await writeJsonAtomic(join(runDir, 'metadata.json'), metadata);
  await writeFileAtomic(join(runDir, 'metrics.jsonl'), `${rows.join('\n')}\n`);
  model.dispose();
  const exported = await exportModelFile(runDir);
  await writeOnnx(join(runDir, 'model.onnx'), exported.bytes);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** The shared fixture (dataset + trained run + ONNX), built on first use. */
export async function ensureFixture(): Promise<{ dataDir: string; modelsDir: string; runDir: string }> {
  const runDir = join(FIXTURE_MODELS, FIXTURE_RUN);
  if (!(await exists(FIXTURE_ROOT))) {
    try {
      await writeDirAtomic(FIXTURE_ROOT, async (tmp) => {
        await writeGlyphDataset(join(tmp, 'data'));
        await writeTrainedRun(join(tmp, 'data'), join(tmp, 'models', FIXTURE_RUN));
      });
    } catch (e) {
      // another test process built it at the same time: theirs landed whole, use it
      if (!(await exists(join(runDir, 'model.onnx')))) throw e;
    }
  }
  return { dataDir: FIXTURE_DATA, modelsDir: FIXTURE_MODELS, runDir };
}

/** A randomly initialised line reader saved as a run in `dir` (model.json, weights, metadata.json; no ONNX). */
export async function saveTinyReaderRun(
  dir: string,
  id: string,
  seed: number,
  alphabet: LineAlphabet = LINE_ALPHABET_36,
): Promise<void> {
  const model = buildReader({ classes: alphabet.size, seed });
  const metadata: ModelMetadata = {
    formatVersion: 1,
    id,
    uid: `uid-${id}-${seed}`,
    architecture: 'reader',
    labelSpace: alphabet.labelSpace,
    classNames: [...alphabet.symbols],
    inputShape: [LINE_HEIGHT, -1, 1],
    inputNormalisation: { ...DEFAULT_INPUT_NORMALISATION },
    characterNormalisation: 'none',
    letterSource: 'emnist-letters-repack',
    dataManifestSha256: 'none',
    commit: 'test',
    createdAt: '2026-01-01T00:00:00.000Z',
    engine: 'wasm',
    trainingConfig: {},
    metrics: {},
    task: 'line',
    reader: {
      alphabetId: alphabet.id,
      symbols: [...alphabet.symbols],
      height: LINE_HEIGHT,
      stride: LINE_STRIDE,
      minWidth: LINE_MIN_WIDTH,
    },
  };
  await saveModel(model, dir, metadata);
  model.dispose();
}

/** How wide a page's document is laid out (over the viewport's width: the page scrolls sideways). */
export function documentWidth(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
        .documentElement.scrollWidth,
  );
}
