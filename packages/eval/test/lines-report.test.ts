import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  encodeLineText,
  HcrError,
  LABEL_SPACE_62,
  LINE_ALPHABET_36,
  type LineAlphabet,
  lineAlphabet,
  type ModelMetadata,
  writeJsonAtomic,
} from '@hcr/core';
import { encodeLineShard, LINE_KINDS, type LineManifest, sha256 } from '@hcr/data';
import { decodeCtcEnsemble } from '@hcr/decode';
import { initEngine } from '@hcr/engine';
import { exportModelFile, packReaderEnsemble, writeOnnx } from '@hcr/export-onnx';
import { buildReader, LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE, readerFrames, saveModel } from '@hcr/model';
import { decodeModel, encodeModel } from '@hcr/onnx-proto';
import { CHROMIUM, launchChromium, skipWithoutChromium } from '@hcr/test-browser';
import { createCanvas } from '@napi-rs/canvas';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareReaderReports, readerCompareSummary } from '../src/lines/compare-report.js';
import { evaluateReader } from '../src/lines/evaluate.js';
import { scoringText } from '../src/lines/metrics.js';
import { readLines } from '../src/lines/read.js';
import type { LinesReport } from '../src/lines/report.js';
import { ensembleLineRuntime, onnxLineRuntime, tfjsLineRuntime } from '../src/lines/runtimes.js';
import {
  checkRealSets,
  findDevSet,
  type LineItem,
  type LineSet,
  loadDevSet,
  parseRealSets,
} from '../src/lines/sources.js';
import { wilsonInterval } from '../src/metrics.js';
import { resolveModelRun } from '../src/model-files.js';
import { buildTinyModel, documentWidth, saveLayersModel, saveTinyReaderRun } from './fixtures.js';
import { textPng } from './text-png.js';

let root: string;
let runDir: string;
let onnxReason: string | null = null;

/** A line of text rendered in a font, ink bright on black, 32 px high: stands in for a synthetic line. */
function renderLine(text: string, id: string): LineItem {
  const probe = createCanvas(8, 8).getContext('2d');
  probe.font = '22px DejaVu Sans';
  const width = Math.max(LINE_MIN_WIDTH, Math.ceil(probe.measureText(text).width) + 8);
  const canvas = createCanvas(width, LINE_HEIGHT);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, LINE_HEIGHT);
  ctx.fillStyle = '#fff';
  ctx.font = '22px DejaVu Sans';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, 4, LINE_HEIGHT / 2);
  const rgba = ctx.getImageData(0, 0, width, LINE_HEIGHT).data;
  const pixels = new Uint8Array(width * LINE_HEIGHT);
  for (let p = 0; p < pixels.length; p++) pixels[p] = rgba[p * 4]!;
  return { id, truth: text, width, pixels, kind: /\d/.test(text) ? 'number' : 'name' };
}

const TEXTS = ['ANNA', 'JEAN-PIERRE DUPONT', '1 234,50', 'B', "O'NEIL", '2026/12/01'];

function syntheticSet(): LineSet {
  return {
    name: 'synthetic-test',
    kind: 'synthetic',
    field: 'mixed',
    dir: 'test',
    lines: TEXTS.map((t, i) => renderLine(t, `test#${i}`)),
    failed: [],
  };
}

/** The rendered lines as a line dataset on disk (one test shard + manifest), read back by openLineDataset. */
async function writeLineDataset(dir: string, lines: readonly LineItem[]): Promise<void> {
  const labels = lines.map((l) => encodeLineText(l.truth));
  const offsets = [0];
  for (const l of labels) offsets.push(offsets.at(-1)! + l.length);
  const pixels = new Uint8Array(lines.reduce((n, l) => n + l.pixels.length, 0));
  let at = 0;
  for (const l of lines) {
    pixels.set(l.pixels, at);
    at += l.pixels.length;
  }
  const bytes = encodeLineShard({
    count: lines.length,
    height: LINE_HEIGHT,
    widths: Uint16Array.from(lines.map((l) => l.width)),
    labelOffsets: Uint32Array.from(offsets),
    labels: Uint8Array.from(labels.flat()),
    glyphIds: new Int32Array(offsets.at(-1)!).fill(-1),
    kinds: Uint8Array.from(lines.map((l) => LINE_KINDS.indexOf(l.kind as (typeof LINE_KINDS)[number]))),
    pixels,
  });
  await writeFile(join(await mkdirp(dir), 'test-0000.lines'), bytes);
  const manifest = {
    formatVersion: 1,
    kind: 'hcr-lines',
    alphabet: LINE_ALPHABET_36.id,
    symbols: [...LINE_ALPHABET_36.symbols],
    height: LINE_HEIGHT,
    kinds: [...LINE_KINDS],
    shards: [
      {
        file: 'test-0000.lines',
        split: 'test',
        count: lines.length,
        bytes: bytes.length,
        sha256: sha256(bytes),
      },
    ],
  } as unknown as LineManifest;
  await writeJsonAtomic(join(dir, 'manifest.json'), manifest);
}

async function mkdirp(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

async function devSets(limit: number): Promise<LineSet[]> {
  const out: LineSet[] = [];
  for (const [name, field] of [
    ['handwritten-names-dev', 'names'],
    ['handwritten-amounts-dev', 'amounts'],
  ] as const) {
    const { dir } = findDevSet(name);
    if (dir) out.push(await loadDevSet(dir, name, field, limit));
  }
  return out;
}

/** A randomly initialised reader saved as a run (model.json, metadata.json and, when it exports, model.onnx). */
async function saveTinyReader(
  id: string,
  seed: number,
  alphabet: LineAlphabet = LINE_ALPHABET_36,
): Promise<string> {
  const dir = join(root, 'models', id);
  await saveTinyReaderRun(dir, id, seed, alphabet);
  try {
    const { bytes } = await exportModelFile(join(dir, 'model.json'));
    await writeOnnx(join(dir, 'model.onnx'), bytes);
  } catch (e) {
    onnxReason = `the ONNX exporter cannot export the reader yet: ${(e as Error).message}`;
  }
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-eval-lines-'));
  await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
  runDir = await saveTinyReader('reader-test', 3);
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('reading in width buckets', () => {
  it('reads a line the same alone as in a batch with wider lines (no edge effects from the padding)', async (ctx) => {
    if (onnxReason) {
      console.warn(`skipped: ${onnxReason}`);
      ctx.skip();
    }
    const run = await resolveModelRun(runDir);
    const runtime = await onnxLineRuntime(run, {});
    try {
      const lines = syntheticSet().lines;
      const opts = { normalisation: run.metadata.inputNormalisation, symbols: LINE_ALPHABET_36.size };
      const batched = await readLines(runtime, lines, { ...opts, batchSize: 32 });
      const alone = await readLines(runtime, lines, { ...opts, batchSize: 1 });
      for (const [i, p] of alone.probs.entries()) {
        expect(batched.probs[i]!.length).toBe(p.length);
        let diff = 0;
        for (let k = 0; k < p.length; k++) diff = Math.max(diff, Math.abs(p[k]! - batched.probs[i]![k]!));
        expect(diff, lines[i]!.truth).toBeLessThan(1e-5);
      }
    } finally {
      await runtime.dispose();
    }
  });
});

describe('an ensemble of readers', () => {
  it('stacks each reader’s own probabilities per line, and eval reads them as one', async () => {
    const otherDir = await saveTinyReader('reader-test-2', 4);
    const runs = [await resolveModelRun(runDir), await resolveModelRun(otherDir)];
    const lines = syntheticSet().lines;
    const opts = { normalisation: runs[0]!.metadata.inputNormalisation, symbols: LINE_ALPHABET_36.size };
    const alone: Float32Array[][] = [];
    for (const run of runs) {
      const rt = await tfjsLineRuntime(run);
      alone.push((await readLines(rt, lines, opts)).probs);
      await rt.dispose();
    }
    const both = ensembleLineRuntime([await tfjsLineRuntime(runs[0]!), await tfjsLineRuntime(runs[1]!)]);
    const stacked = (await readLines(both, lines, opts)).probs;
    await both.dispose();
    for (const [i, p] of stacked.entries()) {
      const n = alone[0]![i]!.length;
      expect(p.length).toBe(2 * n);
      expect(p.subarray(0, n)).toEqual(alone[0]![i]);
      expect(p.subarray(n)).toEqual(alone[1]![i]);
    }
    const linesDir = join(root, 'lines-ensemble');
    await writeLineDataset(linesDir, lines);
    const { report, indexHtml, reportDir } = await evaluateReader({
      run: runDir,
      ensemble: ['reader-test-2'],
      modelsDir: join(root, 'models'),
      linesDir,
      sources: [syntheticSet()],
      runtime: onnxReason ? 'tfjs' : 'both',
      beam: 4,
      outDir: join(root, 'reports'),
      reportName: 'reader-pair',
    });
    // the pipeline names its ensemble's report; the model id still lists the readers
    expect(reportDir).toBe(join(root, 'reports', 'reader-pair'));
    expect(report.model.id).toBe('reader-test+reader-test-2');
    expect(report.model.ensemble?.map((m) => m.id)).toEqual(['reader-test', 'reader-test-2']);
    // each reader with a full model section: its run's uid, the hashes of the files read, its training
    const hash = async (f: string) => sha256(await readFile(f));
    for (const [m, dir, seed] of [
      [report.model.ensemble![0]!, runDir, 3],
      [report.model.ensemble![1]!, otherDir, 4],
    ] as const) {
      expect(m.uid).toBe(`uid-${m.id}-${seed}`);
      expect(m.weightsSha256).toBe(await hash(join(dir, 'weights.bin')));
      expect(m.onnxSha256).toBe(onnxReason ? null : await hash(join(dir, 'model.onnx')));
      expect(m).toMatchObject({ architecture: 'reader', commit: 'test', trainingConfig: {} });
    }
    expect(report.model.ensemble![0]!.weightsSha256).not.toBe(report.model.ensemble![1]!.weightsSha256);
    expect(report.model.uid).toBe('uid-reader-test-3');
    const pairHtml = await readFile(indexHtml, 'utf8');
    expect(pairHtml).toMatch(/one ensemble of 2 readers.*reader-test-2/);
    expect(pairHtml).toContain(
      '<td><code>reader-test-2</code></td><td><code>uid-reader-test-2-4</code></td>',
    );
    const none = report.sources[0]!.constraints.find((c) => c.name === 'none')!;
    if (!onnxReason) expect(none.agreement?.disagreements).toBe(0);
    // eval's reads are decodeCtcEnsemble over the two readers' own outputs
    const frames = (w: number) => readerFrames(w);
    const texts = lines.map(
      (l, i) =>
        decodeCtcEnsemble([alone[0]![i]!, alone[1]![i]!], frames(l.width), LINE_ALPHABET_36, {
          beam: 4,
          topK: 1,
        }).text,
    );
    const wrong = lines.filter((l, i) => scoringText(l.truth) !== scoringText(texts[i]!)).length;
    expect(none.count - none.exact).toBe(wrong);
    const examples = Object.values(report.sources[0]!.examples).flat();
    expect(examples.length).toBeGreaterThan(0);
    for (const ex of examples) {
      const i = lines.findIndex((l) => l.id === ex.id);
      expect(ex.reads.find((r) => r.constraint === 'none')!.text).toBe(texts[i]);
    }
  }, 120_000);

  it('refuses a reader named twice and one of another alphabet', async () => {
    const dir62 = await saveTinyReader('reader-test-62', 5, lineAlphabet(LABEL_SPACE_62));
    const base = {
      run: runDir,
      sources: [syntheticSet()],
      runtime: 'tfjs' as const,
      outDir: join(root, 'r2'),
    };
    await expect(evaluateReader({ ...base, ensemble: [runDir] })).rejects.toThrow(/named twice/);
    await expect(evaluateReader({ ...base, reportName: '../elsewhere' })).rejects.toMatchObject({
      code: 'REPORT_NAME_INVALID',
    });
    await expect(evaluateReader({ ...base, ensemble: [dir62] })).rejects.toMatchObject({
      code: 'ENSEMBLE_INVALID',
      message: expect.stringMatching(/differ in alphabet: hcr36-line vs hcr62-line/),
    });
  }, 60_000);
});

describe('a reader file (what hcr read and hcr serve load)', () => {
  it('reads one exported reader and a packed ensemble exactly as the runs they came from, in onnxruntime', async (ctx) => {
    if (onnxReason) return ctx.skip();
    const otherDir = await saveTinyReader('reader-test-2', 4); // the same as the ensemble test's
    const base = { sources: [syntheticSet()], beam: 4, outDir: join(root, 'file-reports'), force: true };
    const scores = (r: LinesReport) =>
      r.sources.map((x) => x.constraints.map((c) => [c.name, c.exact, c.cer]));
    const single = await evaluateReader({ ...base, run: join(runDir, 'model.onnx') });
    const singleRun = await evaluateReader({ ...base, run: runDir, runtime: 'onnx', reportName: 'run-1' });
    expect(single.report.model.id).toBe('reader-test');
    expect(single.report.runtimes.map((r) => r.runtime)).toEqual(['onnx']);
    expect(scores(single.report)).toEqual(scores(singleRun.report));

    const packed = packReaderEnsemble(
      await Promise.all(
        [runDir, otherDir].map(async (d) => ({ bytes: await readFile(join(d, 'model.onnx')), name: d })),
      ),
    );
    const packedFile = join(root, 'packed', 'model.onnx');
    await mkdirp(join(root, 'packed'));
    await writeFile(packedFile, packed.bytes);
    const fromFile = await evaluateReader({ ...base, run: packedFile });
    const fromRuns = await evaluateReader({
      ...base,
      run: runDir,
      ensemble: [otherDir],
      runtime: 'onnx',
      reportName: 'runs-2',
    });
    expect(fromFile.report.model.id).toBe('reader-test+reader-test-2');
    expect(fromFile.report.model.ensemble?.map((m) => m.id)).toEqual(['reader-test', 'reader-test-2']);
    expect(await readFile(fromFile.indexHtml, 'utf8')).toMatch(
      /one ensemble of 2 readers.*packed in one file.*<td><code>reader-test<\/code><\/td>.*<td><code>reader-test-2<\/code><\/td>/,
    );
    // the file's readers share its hash; it holds no weights.bin
    const fileHash = sha256(await readFile(packedFile));
    expect(fromFile.report.model.ensemble!.map((m) => [m.uid, m.onnxSha256, m.weightsSha256])).toEqual([
      ['uid-reader-test-3', fileHash, null],
      ['uid-reader-test-2-4', fileHash, null],
    ]);
    expect(scores(fromFile.report)).toEqual(scores(fromRuns.report));
    expect(fromFile.report.sources[0]!.examples).toEqual(fromRuns.report.sources[0]!.examples);

    // metadata that lists more readers than the graph outputs: refused before any line is read
    const model = decodeModel(packed.bytes);
    const members = model.metadata_props.find((p) => p.key === 'hcr.reader_members')!;
    members.value = JSON.stringify([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    const lying = join(root, 'packed', 'lying.onnx');
    await writeFile(lying, encodeModel(model));
    await expect(evaluateReader({ ...base, run: lying })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/with 3 reader\(s\) on axis 1/),
    });
  }, 120_000);

  it('refuses tfjs, extra readers, a character model and a missing file, naming the fix', async () => {
    const file = join(runDir, 'model.onnx');
    const base = { sources: [syntheticSet()], outDir: join(root, 'file-refusals') };
    if (!onnxReason) {
      await expect(evaluateReader({ ...base, run: file, runtime: 'both' })).rejects.toMatchObject({
        code: 'RUNTIME_UNAVAILABLE',
        message: expect.stringMatching(/onnxruntime only.*--runtime onnx/),
      });
      await expect(evaluateReader({ ...base, run: file, ensemble: ['reader-test-2'] })).rejects.toMatchObject(
        {
          code: 'ENSEMBLE_INVALID',
        },
      );
    }
    await expect(evaluateReader({ ...base, run: join(root, 'nowhere.onnx') })).rejects.toMatchObject({
      code: 'READER_FILE_MISSING',
    });
    if (onnxReason) return;
    const characterDir = join(root, 'models', 'character-tiny');
    await saveLayersModel(buildTinyModel(), characterDir);
    const character = join(characterDir, 'model.onnx');
    await writeOnnx(character, (await exportModelFile(join(characterDir, 'model.json'))).bytes);
    await expect(evaluateReader({ ...base, run: character })).rejects.toMatchObject({
      code: 'MODEL_NOT_A_READER',
      message: expect.stringMatching(/not a line reader/),
      hint: expect.stringContaining(
        `\`hcr eval <the run it was exported from> --runtime onnx --onnx ${character}\``,
      ),
    });
    // in a run directory (metadata.json beside it, as artifacts/model/pipeline/model.onnx): evaluate the run
    await writeFile(join(characterDir, 'metadata.json'), '{}');
    await expect(evaluateReader({ ...base, run: character })).rejects.toMatchObject({
      code: 'MODEL_NOT_A_READER',
      hint: expect.stringContaining(`\`hcr eval ${characterDir} --runtime onnx\` (its run directory)`),
    });
  }, 60_000);
});

describe('dev set loading', () => {
  it('records an image without ink and a missing file as failed reads', async () => {
    const dir = join(root, 'fake-dev');
    const canvas = createCanvas(120, 40);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 120, 40);
    await writeJsonAtomic(join(dir, 'unused.json'), {});
    await writeFile(join(dir, 'blank.png'), canvas.toBuffer('image/png'));
    await writeFile(join(dir, 'labels.tsv'), 'blank.png\tANNA\nmissing.png\tBOB\n');
    const set = await loadDevSet(dir, 'fake-dev', 'names');
    expect(set.lines).toHaveLength(0);
    expect(set.failed.map((f) => [f.id, f.truth])).toEqual([
      ['blank.png', 'ANNA'],
      ['missing.png', 'BOB'],
    ]);
    expect(set.failed[1]!.code).toBe('IMAGE_MISSING');
    expect(set.failed[0]!.code).not.toBe('IMAGE_MISSING');
  });

  it('reads a photo stored sideways with an EXIF orientation upright, as `hcr read` does', async () => {
    const dir = join(root, 'exif-dev');
    const canvas = createCanvas(240, 60);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#eee';
    ctx.fillRect(0, 0, 240, 60);
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 4;
    for (let x = 20; x < 220; x += 30) {
      ctx.beginPath();
      ctx.moveTo(x, 15);
      ctx.lineTo(x + 12, 45);
      ctx.stroke();
    }
    const png = canvas.toBuffer('image/png');
    const jpeg = { quality: 100, chromaSubsampling: '4:4:4' };
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'upright.jpg'), await sharp(png).jpeg(jpeg).toBuffer());
    // Stored turned a quarter to the left; orientation 6 tells viewers to turn it back (as phone cameras do).
    const sideways = await sharp(png).rotate(270).jpeg(jpeg).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(sideways).metadata()).height).toBe(240);
    await writeFile(join(dir, 'sideways.jpg'), sideways);
    await writeFile(join(dir, 'labels.tsv'), 'upright.jpg\tA\nsideways.jpg\tA\n');
    const set = await loadDevSet(dir, 'exif-dev', 'names');
    expect(set.failed).toEqual([]);
    const [upright, turned] = set.lines;
    expect(turned!.width).toBe(upright!.width);
    expect(upright!.width).toBeGreaterThan(4 * LINE_HEIGHT);
    let diff = 0;
    for (let i = 0; i < upright!.pixels.length; i++)
      diff += Math.abs(upright!.pixels[i]! - turned!.pixels[i]!);
    expect(diff / upright!.pixels.length).toBeLessThan(2);
    // Saved by a Windows editor: a byte-order mark and CRLF line ends read the same.
    await writeFile(join(dir, 'labels.tsv'), '\uFEFFupright.jpg\tA\r\nsideways.jpg\tA\r\n');
    const windows = await loadDevSet(dir, 'exif-dev', 'names');
    expect(windows.failed).toEqual([]);
    expect(windows.lines.map((l) => [l.id, l.truth])).toEqual([
      ['upright.jpg', 'A'],
      ['sideways.jpg', 'A'],
    ]);
  });

  it('refuses a labels.tsv line without a TAB', async () => {
    const dir = join(root, 'bad-dev');
    await writeJsonAtomic(join(dir, 'unused.json'), {});
    await writeFile(join(dir, 'labels.tsv'), 'images/a.jpg ANNA\n');
    await expect(loadDevSet(dir, 'bad-dev', 'names')).rejects.toMatchObject({ code: 'LABELS_INVALID' });
  });
});

describe('evaluateReader on a tiny random reader', () => {
  let report: LinesReport;
  let reportDir: string;
  let real: LineSet[];

  beforeAll(async () => {
    real = await devSets(TEXTS.length);
    const linesDir = join(root, 'lines');
    await writeLineDataset(linesDir, syntheticSet().lines);
    const result = await evaluateReader({
      run: runDir,
      linesDir,
      limit: TEXTS.length,
      runtime: onnxReason ? 'tfjs' : 'both',
      beam: 4,
      outDir: join(root, 'reports'),
    });
    report = result.report;
    reportDir = result.reportDir;
  }, 120_000);

  it('writes lines.json, one chart per source and a self-contained index.html', async () => {
    expect(existsSync(join(reportDir, 'lines.json'))).toBe(true);
    const json = JSON.parse(await readFile(join(reportDir, 'lines.json'), 'utf8')) as LinesReport;
    expect(json.sources.map((s) => s.name)).toEqual(report.sources.map((s) => s.name));
    for (const s of report.sources) {
      expect(existsSync(join(reportDir, s.picture))).toBe(true);
      expect(existsSync(join(reportDir, s.samplesPicture))).toBe(true);
      expect(s.samples.length).toBe(Math.min(12, s.count - s.failed.count));
    }
    const html = await readFile(join(reportDir, 'index.html'), 'utf8');
    expect(html).toContain('id="results"');
    expect(html).not.toMatch(/src="(?!data:)/);
    expect(html).toContain('Tesseract');
    // What min_confidence would accept, per source and constraint, as in lines.json.
    const first = json.sources[0]!.constraints[0]!;
    expect(first.atMinConfidence.map((p) => p.minConfidence)).toEqual([0.5, 0.8, 0.9]);
    expect(html.match(/<table class="min-confidence"/g)).toHaveLength(json.sources.length);
    const png = await readFile(join(reportDir, report.sources[0]!.picture));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // every exact-match rate with its 95% interval, in lines.json and under the rate in the table
    for (const s of json.sources)
      for (const c of s.constraints) {
        expect(c.exactInterval).toEqual(wilsonInterval(c.exact, c.count));
        expect(c.cerInterval[0]).toBeLessThanOrEqual(c.cer);
        expect(c.cerInterval[1]).toBeGreaterThanOrEqual(c.cer);
        const at = html.indexOf(`<tr data-source="${s.name}" data-constraint="${c.name}">`);
        expect(at).toBeGreaterThan(0);
        const row = html.slice(at, html.indexOf('</tr>', at));
        const [lo, hi] = c.exactInterval.map((x) => (x * 100).toFixed(1));
        expect(row).toContain(
          `${(c.exactRate * 100).toFixed(2)}%<br><small class="ci" title="95% interval">${lo}&ndash;${hi}%</small>`,
        );
        const [cerLo, cerHi] = c.cerInterval.map((x) => (x * 100).toFixed(1));
        expect(row).toContain(
          `${(c.cer * 100).toFixed(2)}%<br><small class="ci" title="95% interval">${cerLo}&ndash;${cerHi}%</small>`,
        );
      }
  });

  it('renders offline in headless Chromium with every image decoded', async (ctx) => {
    if (skipWithoutChromium()) {
      console.warn(`skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);
      ctx.skip();
    }
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const external: string[] = [];
      page.on('request', (req) => {
        if (!/^(file|data):/.test(req.url())) external.push(req.url());
      });
      await page.goto(pathToFileURL(join(reportDir, 'index.html')).href, { waitUntil: 'load' });
      expect(await page.textContent('#model-id')).toBe('reader-test');
      const rows = await page.$$eval('#results tbody tr', (trs) => trs.length);
      expect(rows).toBe(report.sources.reduce((n, s) => n + s.constraints.length, 0));
      const images = await page.$$eval('img', (imgs) =>
        imgs.map((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
      );
      expect(images.length).toBeGreaterThan(report.sources.length * 2);
      expect(images.every((w) => w > 0)).toBe(true);
      // truths and reads keep every space and never wrap inside a word
      const whiteSpace = await page.$$eval('table.examples td.t', (tds) => [
        ...new Set(
          tds.map(
            (td) =>
              (
                globalThis as unknown as { getComputedStyle(e: unknown): { whiteSpace: string } }
              ).getComputedStyle(td).whiteSpace,
          ),
        ),
      ]);
      expect(whiteSpace).toEqual(['pre']);
      expect(external).toEqual([]);
      // a 375-px phone screen: the tables scroll in their boxes, the page does not scroll sideways
      await page.setViewportSize({ width: 375, height: 800 });
      expect(await documentWidth(page)).toBeLessThanOrEqual(375);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('has the expected shape: per source x constraint scores, per-length tables, examples', () => {
    expect(report.task).toBe('line');
    expect(report.decoding.beam).toBe(4);
    expect(report.decoding.lexicon.words).toBeGreaterThan(1000);
    const synth = report.sources.find((s) => s.name === 'synthetic-test')!;
    expect(synth.count).toBe(TEXTS.length);
    expect(synth.dir).toContain('lines');
    const shown = [...synth.examples.mostConfident, ...synth.examples.worst].map((e) => e.truth).sort();
    expect(shown).toEqual([...TEXTS].sort()); // read back from the shard with their texts; none is read right
    expect(synth.constraints.map((c) => c.name)).toEqual(['none', 'field']);
    expect(synth.headline).toBe('none');
    expect(Object.keys(synth.perKind!).sort()).toEqual(['name', 'number']);
    const c = synth.constraints[0]!;
    expect(c.perLength.reduce((n, b) => n + b.count, 0)).toBe(TEXTS.length);
    expect(c.truthChars).toBe(TEXTS.join('').length);
    expect(c.cer).toBeGreaterThan(0); // random weights do not read
    for (const s of report.sources) {
      const errors = s.constraints.find((x) => x.name === s.headline)!;
      expect(s.examples.mostConfident.length + s.examples.worst.length).toBe(
        Math.min(errors.count - errors.exact - s.failed.count, 16),
      );
    }
    expect(report.targets.map((t) => t.source)).toContain('synthetic-test');
    expect(report.timing.sources.length).toBe(report.sources.length * report.runtimes.length);
  });

  it('records what was read: the reader, the line dataset and labels (hashes), and where and when', async () => {
    const hash = async (f: string) => sha256(await readFile(f));
    expect(report.model.uid).toBe('uid-reader-test-3');
    expect(report.model.weightsSha256).toBe(await hash(join(runDir, 'weights.bin')));
    expect(report.model.onnxSha256).toBe(onnxReason ? null : await hash(join(runDir, 'model.onnx')));
    expect(report.model.ensemble).toBeUndefined();
    const manifest = await hash(join(root, 'lines', 'manifest.json'));
    expect(report.data).toEqual({ linesManifestSha256: manifest });
    expect(report.sources.find((s) => s.name === 'synthetic-test')!.manifestSha256).toBe(manifest);
    for (const r of real)
      expect(report.sources.find((s) => s.name === r.name)!.labelsSha256).toBe(
        await hash(join(r.dir, 'labels.tsv')),
      );
    const env = report.environment!;
    expect(new Date(env.evaluatedAt).toISOString()).toBe(env.evaluatedAt);
    expect(env.node).toBe(process.version);
    expect(env.evalCommit === null || /^[0-9a-f]{40}$/.test(env.evalCommit)).toBe(true);
    expect(Object.keys(report).slice(-2)).toEqual(['environment', 'timing']);
    const html = await readFile(join(reportDir, 'index.html'), 'utf8');
    expect(html).toContain(`<td>synthetic lines manifest sha256</td><td>${manifest}</td>`);
    expect(html).not.toContain(env.evaluatedAt);
  });

  it('decodes real sets under their constraints', (ctx) => {
    if (real.length === 0) ctx.skip(); // the dev sets are not in this checkout's data folder
    const names = report.sources.find((s) => s.name === 'handwritten-names-dev');
    if (names) {
      expect(names.constraints.map((c) => c.name)).toEqual([
        'none',
        'letters',
        'letters+marks',
        'lexicon',
        'letters+lm',
      ]);
      expect(names.count).toBe(TEXTS.length);
      expect(names.lexiconCoverage).not.toBeNull();
      const letters = names.examples.mostConfident.concat(names.examples.worst);
      for (const e of letters) {
        expect(e.reads.find((r) => r.constraint === 'letters')!.text).toMatch(/^[A-Z]*$/);
        expect(e.reads.find((r) => r.constraint === 'letters+marks')!.text).toMatch(/^[A-Z '-]*$/);
      }
    }
    const amounts = report.sources.find((s) => s.name === 'handwritten-amounts-dev');
    if (amounts) {
      expect(amounts.constraints.map((c) => c.name)).toEqual(['none', 'digits']);
      for (const e of amounts.examples.mostConfident.concat(amounts.examples.worst))
        expect(e.reads.find((r) => r.constraint === 'digits')!.text).toMatch(/^[0-9]*$/);
    }
  });

  it('tfjs and onnxruntime decode to identical strings', (ctx) => {
    if (onnxReason) {
      console.warn(`skipped: ${onnxReason}`);
      ctx.skip();
    }
    expect(report.runtimes.map((r) => r.runtime)).toEqual(['tfjs', 'onnx']);
    for (const s of report.sources)
      for (const c of s.constraints) {
        expect(c.agreement!.lines).toBe(s.count - s.failed.count);
        expect(c.agreement!.disagreements, `${s.name} ${c.name}`).toBe(0);
      }
  });

  it('refuses to overwrite a report without force, a bad beam, and a character model', async () => {
    await expect(
      evaluateReader({ run: runDir, sources: [syntheticSet()], outDir: join(root, 'reports') }),
    ).rejects.toMatchObject({
      code: 'REPORT_EXISTS',
    });
    await expect(evaluateReader({ run: runDir, beam: 0 })).rejects.toMatchObject({ code: 'BEAM_INVALID' });
    const charDir = join(root, 'models', 'char');
    const meta = JSON.parse(await readFile(join(runDir, 'metadata.json'), 'utf8')) as ModelMetadata;
    await writeJsonAtomic(join(charDir, 'metadata.json'), {
      ...meta,
      task: undefined,
      reader: undefined,
      classNames: [...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'],
      inputShape: [28, 28, 1],
    });
    const err = await evaluateReader({ run: charDir, outDir: join(root, 'r2') }).catch((e) => e);
    expect(err).toBeInstanceOf(HcrError);
    expect(err.code).toBe('MODEL_NOT_READER');
  });
});

describe('reader ONNX checks', () => {
  it('refuses a missing ONNX file and one exported from another model', async (ctx) => {
    if (onnxReason) ctx.skip();
    const missing = join(root, 'nowhere.onnx');
    await expect(
      evaluateReader({ run: runDir, runtime: 'onnx', onnxFile: missing, sources: [syntheticSet()] }),
    ).rejects.toMatchObject({ code: 'ONNX_MISSING' });
    const other = join(root, 'other.onnx');
    const { bytes } = await exportModelFile(join(runDir, 'model.json'), {
      metadata: { 'hcr.model_id': 'another-reader' },
    });
    await writeOnnx(other, bytes);
    await expect(
      evaluateReader({ run: runDir, runtime: 'both', onnxFile: other, sources: [syntheticSet()] }),
    ).rejects.toMatchObject({ code: 'ONNX_STALE' });
  }, 60_000);
});

describe('evaluateReader on given line sets', () => {
  it('names the report after the run directory, so a copy of a reader does not replace its report', async () => {
    const copyDir = join(root, 'copies', 'reader-copy');
    await cp(runDir, copyDir, { recursive: true });
    const outDir = join(root, 'reports-copy');
    const opts = { sources: [syntheticSet()], runtime: 'tfjs' as const, beam: 1, outDir };
    const original = await evaluateReader({ ...opts, run: runDir });
    const copy = await evaluateReader({ ...opts, run: copyDir });
    expect(original.reportDir).toBe(join(outDir, 'reader-test'));
    expect(copy.reportDir).toBe(join(outDir, 'reader-copy'));
    expect(copy.report.model.id).toBe('reader-test');
  }, 60_000);

  it('evaluates the sets it is given instead of the default sources', async () => {
    const { report } = await evaluateReader({
      run: runDir,
      sources: [syntheticSet()],
      runtime: 'tfjs',
      beam: 1,
      outDir: join(root, 'reports-given'),
    });
    expect(report.sources.map((s) => s.name)).toEqual(['synthetic-test']);
    expect(report.skipped).toEqual([]);
    expect(report.sources[0]!.count).toBe(TEXTS.length);
  }, 60_000);
});

describe('the reader page on a short real set with failed reads', () => {
  it('says a file cannot be displayed, that every error is shown above, and lists only the targets read', async () => {
    const dir = join(root, 'short-real');
    await mkdirp(dir);
    // starts as a JPEG, cut after 300 bytes: the browser would show a broken image
    const jpeg = await sharp({
      create: { width: 120, height: 40, channels: 3, background: '#ffffff' },
    })
      .jpeg()
      .toBuffer();
    await writeFile(join(dir, 'trunc.jpg'), jpeg.subarray(0, 300));
    const names: LineSet = {
      name: 'held-out-names',
      kind: 'real',
      field: 'names',
      dir,
      lines: ['ANNA', 'LEO'].map((t, i) => renderLine(t, `images/name-${i}.jpg`)),
      failed: [
        {
          id: 'trunc.jpg',
          truth: 'CAMILLE',
          code: 'IMAGE_INVALID',
          message: 'cannot be decoded',
          file: join(dir, 'trunc.jpg'),
        },
      ],
    };
    const { report, indexHtml } = await evaluateReader({
      run: runDir,
      sources: [names],
      runtime: 'tfjs',
      beam: 1,
      outDir: join(root, 'reports-short'),
    });
    const html = await readFile(indexHtml, 'utf8');
    const failedTable = html.slice(html.indexOf('<table class="failed">'));
    expect(failedTable).toMatch(
      /^<table class="failed">.*?<td class="img"><span class="no-image">\(cannot be displayed\)<\/span><br><small>trunc\.jpg<\/small>/,
    );
    expect(failedTable.slice(0, failedTable.indexOf('</table>'))).not.toContain('<img');
    // a random reader reads both lines wrong: both are among the most confident errors, none is left for "worst"
    const s = report.sources[0]!;
    expect(s.examples.mostConfident).toHaveLength(2);
    expect(s.examples.worst).toHaveLength(0);
    expect(html).toContain(
      '<p class="worst-none">Worst errors (highest line CER): all 2 errors are shown above.</p>',
    );
    expect(html).not.toContain('Worst errors (highest line CER): none.');
    // only the names target (this set's field) is described; synthetic-test and the amounts were not read
    const results = html.slice(
      html.indexOf('<h2>Results</h2>'),
      html.indexOf('<div class="scroll"><table id="results">'),
    );
    expect(results).toContain('held-out-names read with letters: exact match at least 70%');
    expect(results).not.toContain('synthetic-test read with');
    expect(results).not.toContain('handwritten-amounts-dev');
    expect(report.targets.filter((t) => t.cer === null).map((t) => t.source)).toEqual([
      'synthetic-test',
      'handwritten-amounts-dev',
    ]); // still in lines.json, with no figure
    // reads.json: a failed read is the last line, read as '' at confidence 0, wrong
    const reads = JSON.parse(await readFile(join(dirname(indexHtml), 'reads.json'), 'utf8'));
    const held = reads.sources['held-out-names'];
    expect(held.ids).toEqual(['images/name-0.jpg', 'images/name-1.jpg', 'trunc.jpg']);
    expect(held.truths).toEqual(['ANNA', 'LEO', 'CAMILLE']);
    for (const c of s.constraints) {
      expect(held.reads[c.name].texts[2]).toBe('');
      expect(held.reads[c.name].confidences[2]).toBe(0);
      expect(held.reads[c.name].exact).toEqual([0, 0, 0]);
    }
  }, 60_000);
});

describe('reads.json and comparing two reader reports', () => {
  it('records every line read under each constraint as lines.json scores it, and pairs two reports line by line', async () => {
    const outDir = join(root, 'reports-compare');
    const set = syntheticSet();
    const opts = { sources: [set], runtime: 'tfjs' as const, beam: 1, outDir };
    const first = await evaluateReader({ ...opts, run: runDir });
    const secondDir = await saveTinyReader('reader-cmp', 5);
    const second = await evaluateReader({ ...opts, run: secondDir });
    for (const r of [first, second]) {
      const reads = JSON.parse(await readFile(join(r.reportDir, 'reads.json'), 'utf8'));
      const src = reads.sources['synthetic-test'];
      expect(src.ids).toEqual(set.lines.map((l) => l.id));
      expect(src.truths).toEqual(TEXTS);
      for (const c of r.report.sources[0]!.constraints) {
        const column = src.reads[c.name];
        expect(column.texts).toHaveLength(TEXTS.length);
        expect(column.exact.reduce((n: number, x: number) => n + x, 0)).toBe(c.exact);
        // each read as the report's examples show it
        for (const e of r.report.sources[0]!.examples.mostConfident) {
          const read = e.reads.find((x) => x.constraint === c.name);
          if (read) expect(column.texts[src.ids.indexOf(e.id)]).toBe(read.text);
        }
      }
    }
    const { compare, dir } = await compareReaderReports({ a: 'reader-test', b: second.reportDir, outDir });
    expect(dir).toBe(join(outDir, 'compare-reader-test-vs-reader-cmp'));
    const source = compare.sources[0]!;
    expect(source).toMatchObject({ source: 'synthetic-test', paired: true, note: null });
    for (const k of source.constraints) {
      const p = k.paired!;
      expect(p.fixed + p.broken + p.bothRight + p.bothWrong).toBe(TEXTS.length);
    }
    expect(JSON.parse(await readFile(join(dir, 'compare.json'), 'utf8'))).toEqual(compare);
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('<h2 id="synthetic-test">synthetic-test <small>(6 lines)</small></h2>');
    expect(readerCompareSummary(compare, dir)).toMatch(/^synthetic-test +none +6 /m);
    await expect(compareReaderReports({ a: 'reader-test', b: 'reader-cmp', outDir })).rejects.toMatchObject({
      code: 'REPORT_EXISTS',
    });
    await expect(compareReaderReports({ a: 'reader-test', b: 'nothing-here', outDir })).rejects.toMatchObject(
      {
        code: 'RUN_UNKNOWN',
      },
    );
  }, 60_000);
});

describe('the reader report page reads plainly', () => {
  let html: string;
  let report: LinesReport;

  beforeAll(async () => {
    // amounts transcribed with digits only, as the dev set's labels.tsv (13.254,00 -> 1325400)
    const cheques: LineSet = {
      name: 'cheques',
      kind: 'real',
      field: 'amounts',
      dir: 'cheques',
      lines: ['1325400', '5000', '94278'].map((t, i) => renderLine(t, `images/amount-${i}.jpg`)),
      failed: [],
    };
    const result = await evaluateReader({
      run: runDir,
      sources: [syntheticSet(), cheques],
      runtime: 'tfjs',
      beam: 1,
      outDir: join(root, 'reports-readable'),
    });
    report = result.report;
    html = await readFile(result.indexHtml, 'utf8');
  }, 60_000);

  it('never wraps a truth or a read inside a word, marks real spaces, and scrolls wide tables', () => {
    const rule = html.match(/td\.t\{[^}]*\}/)![0];
    expect(rule).toContain('white-space:pre');
    expect(rule).not.toMatch(/break-all|pre-wrap/);
    expect(html).toContain('div.scroll{overflow-x:auto');
    expect(html).toContain('<div class="scroll"><table class="examples">');
    expect(html).toContain('<td class="t">JEAN-PIERRE<span class="sp"> </span>DUPONT</td>');
    // every table scrolls in its own box (375-px screens), key/value values wrap
    const tables = html.match(/<table[ >]/g) ?? [];
    expect(tables.length).toBeGreaterThan(8);
    expect(html.match(/<div class="scroll"><table[ >]/g)).toHaveLength(tables.length);
    expect(html).toContain('table.kv td:last-child{text-align:left;overflow-wrap:anywhere}');
  });

  it('describes the charts in their alt texts', () => {
    expect(html).toContain(
      'alt="Two bar charts of cheques per truth length: exact match on top and CER below, one bar per constraint (no constraint, digits), with the number of lines under each length." data-file="lines-cheques.png"',
    );
    expect(html).toContain(
      'alt="3 random lines of cheques as scanned, each with what was read under digits and its confidence (green when right, red when wrong) and the truth." data-file="reads-cheques.png"',
    );
  });

  it("puts the headline constraint's read first in the error examples", () => {
    const cheques = report.sources.find((s) => s.name === 'cheques')!;
    expect(cheques.headline).toBe('digits');
    expect(cheques.constraints.map((c) => c.name)).toEqual(['none', 'digits']);
    const section = html.slice(html.indexOf('<section id="source-cheques">'));
    expect(section).toContain(
      '<thead><tr><th>image (original, reader input)</th><th>truth</th><th>digits</th><th>conf.</th><th>none</th><th>conf.</th></tr></thead>',
    );
  });

  it('shows the Tesseract figures as percentages, and the targets as "target" with what they are', () => {
    const row = (source: string, constraint: string) =>
      html.match(new RegExp(`<tr data-source="${source}" data-constraint="${constraint}">.*?</tr>`))![0];
    expect(row('cheques', 'none')).toContain('<td>4.3% / 76%</td>');
    expect(row('cheques', 'digits')).toContain('<td>n/a / 71%</td>');
    expect(html).toContain('<th>target</th>');
    expect(html).not.toContain('issue 12');
    expect(html).toContain(
      'The target column holds the acceptance figures set for the reader: synthetic-test read with no constraint: exact match at least 90% and CER at most 3%',
    );
    expect(html).toContain('cheques read with digits: exact match at least 80% and CER at most 5%');
    expect(html).toContain(
      "Tesseract 5.3 figures (exact match / CER, both in %) are from the shared data's README",
    );
  });

  it('says "no constraint", not "none", in headings and picture titles', () => {
    expect(html).toContain('<h3>Errors (no constraint)</h3>');
    expect(html).toContain('synthetic-test (no constraint): exact / CER');
    expect(html).not.toContain('Errors (none)');
    expect(html).toContain('synthetic-test: random reads (no constraint)');
    expect(report.sources[0]!.headline).toBe('none'); // the JSON name stays
  });

  it("says a source's digits-only transcriptions count written separators as errors with no constraint", () => {
    const section = (name: string) =>
      html.slice(
        html.indexOf(`<section id="source-${name}">`),
        html.indexOf('</section>', html.indexOf(`<section id="source-${name}">`)),
      );
    expect(section('cheques')).toContain(
      "This source's transcriptions hold digits only (an amount written 13.254,00 is transcribed <code>1325400</code>), so with no constraint every separator the writer really wrote (a dot, a comma, a space) counts as an inserted character: the digits row is the field's figure.",
    );
    expect(section('synthetic-test')).not.toContain('digit-truths');
  });

  it('headlines with the precision of the tables, and names each image in its alt text', () => {
    const target = report.targets.find((t) => t.source === 'synthetic-test')!;
    expect(html).toContain(
      `id="headline-synthetic-test">${(target.exactRate! * 100).toFixed(2)}% / ${(target.cer! * 100).toFixed(2)}%</div>`,
    );
    expect(html).toContain('alt="reader input of test#1, truth &quot;JEAN-PIERRE DUPONT&quot;"');
    expect(html).toContain('alt="reader input of images/amount-0.jpg, truth &quot;1325400&quot;"');
    expect(html).not.toMatch(/alt="(original|reader input)"/);
  });
});

/**
 * A folder laid out like a dev set: dark writing on white PNGs (or TIFFs, as scanners write, or the pages of one
 * PDF, listed as `images/forms.pdf#page=N`) under images/, and labels.tsv.
 */
async function writeRealFolder(
  dir: string,
  texts: readonly string[],
  format: 'png' | 'tiff' | 'pdf' = 'png',
): Promise<void> {
  await mkdir(join(dir, 'images'), { recursive: true });
  const rows: string[] = [];
  const pdf = await PDFDocument.create();
  for (const [i, text] of texts.entries()) {
    const png = textPng(text, 200, 48, '28px DejaVu Sans', [10, 34]);
    if (format === 'pdf') {
      const scan = await pdf.embedPng(png);
      pdf.addPage([72, 17.28]).drawImage(scan, { x: 0, y: 0, width: 72, height: 17.28 }); // 200 dpi
      rows.push(`images/forms.pdf#page=${i + 1}\t${text}`);
      continue;
    }
    await writeFile(
      join(dir, 'images', `line-${i}.${format}`),
      format === 'png' ? png : await sharp(png).tiff().toBuffer(),
    );
    rows.push(`images/line-${i}.${format}\t${text}`);
  }
  if (format === 'pdf') await writeFile(join(dir, 'images', 'forms.pdf'), await pdf.save());
  await writeFile(join(dir, 'labels.tsv'), `${rows.join('\n')}\n`);
}

describe('evaluateReader on folders of real labelled lines (hcr eval --real)', () => {
  it('reads each folder under its field, instead of the dev sets, with the dev set targets beside it', async () => {
    const amounts = join(root, 'held-out', 'cheques');
    const names = join(root, 'held-out', 'forms');
    await writeRealFolder(amounts, ['1250', '30000'], 'pdf');
    await writeRealFolder(names, ['ANNA', 'LOUIS'], 'tiff');
    const { report, reportDir } = await evaluateReader({
      run: runDir,
      real: parseRealSets(`amounts=${amounts},names=${names}`),
      synthetic: false,
      runtime: 'tfjs',
      beam: 1,
      outDir: join(root, 'reports-real'),
    });
    expect(report.sources.map((s) => [s.name, s.kind, s.field, s.count])).toEqual([
      ['cheques', 'real', 'amounts', 2],
      ['forms', 'real', 'names', 2],
    ]);
    expect(report.skipped).toEqual([]);
    expect(report.sources[0]!.constraints.map((c) => c.name)).toEqual(['none', 'digits']);
    expect(report.sources[1]!.constraints.map((c) => c.name)).toContain('letters');
    // the targets and Tesseract's figures for the dev sets of the same field
    const target = (source: string) => report.targets.find((t) => t.source === source);
    expect(target('cheques')).toMatchObject({ constraint: 'digits', minExactRate: 0.8 });
    expect(target('cheques')!.exactRate).toBe(report.sources[0]!.constraints[1]!.exactRate);
    expect(target('forms')).toMatchObject({ constraint: 'letters', minExactRate: 0.7 });
    expect(report.anchors.filter((a) => a.source === 'forms').map((a) => a.constraint)).toEqual([
      'none',
      'letters',
    ]);
    expect(report.targets.some((t) => t.source.startsWith('handwritten-'))).toBe(false);
    // Pages of a PDF are read as labels.tsv names them (`forms.pdf#page=N`); scans in TIFF and PDF, which
    // browsers do not show in an image, appear in the report as PNG.
    expect(report.sources.map((s) => s.failed.count)).toEqual([0, 0]);
    const html = await readFile(join(reportDir, 'index.html'), 'utf8');
    const originals = [...html.matchAll(/alt="original of ([^"]*)" src="data:image\/(\w+);/g)];
    expect(originals.length).toBeGreaterThanOrEqual(4);
    expect(new Set(originals.map((m) => m[2]))).toEqual(new Set(['png']));
    // each named by its file (a PDF's page) and its truth
    expect(originals.map((m) => m[1])).toContain('images/forms.pdf#page=2, truth &quot;30000&quot;');
    expect(originals.map((m) => m[1])).toContain('images/line-0.tiff, truth &quot;ANNA&quot;');
  }, 60_000);

  it('refuses a folder without its field, of an unknown field, without labels.tsv, or named twice', async () => {
    const amounts = join(root, 'held-out', 'cheques');
    const other = join(root, 'held-out-2', 'cheques');
    await writeRealFolder(other, ['7']);
    expect(() => parseRealSets(amounts)).toThrow(expect.objectContaining({ code: 'REAL_SET_INVALID' }));
    expect(() => parseRealSets(`dates=${amounts}`)).toThrow(/names=<dir> or amounts=<dir>/);
    expect(() => checkRealSets(parseRealSets(`names=${join(root, 'nowhere')}`))).toThrow(
      expect.objectContaining({ code: 'REAL_SET_MISSING' }),
    );
    expect(() => checkRealSets(parseRealSets(`amounts=${amounts},amounts=${other}`))).toThrow(
      /named 'cheques'/,
    );
    expect(() => parseRealSets(',')).toThrow(expect.objectContaining({ code: 'REAL_SET_INVALID' }));
    await expect(
      evaluateReader({
        run: runDir,
        real: [{ field: 'names', dir: join(root, 'nowhere') }],
        runtime: 'tfjs',
      }),
    ).rejects.toMatchObject({ code: 'REAL_SET_MISSING' });
  });
});

describe('evaluateReader with the default sources', () => {
  it('refuses an explicit --lines or --data-dir that is not there, naming the folder (no skip, no other copy)', async () => {
    const base = {
      run: runDir,
      runtime: 'tfjs' as const,
      limit: 3,
      beam: 1,
      outDir: join(root, 'reports-named'),
    };
    const noLines = join(root, 'no-lines');
    await expect(evaluateReader({ ...base, linesDir: noLines })).rejects.toMatchObject({
      code: 'LINES_MISSING',
      problem: `--lines ${noLines} does not exist: there is no synthetic line dataset there.`,
      hint: expect.stringContaining(`hcr data lines prepare --out ${noLines}`),
    });
    // --data-dir is searched alone: a wrong one is not replaced by HCR_DATA_DIR or ../shared/data
    const noData = join(root, 'no-data');
    await expect(evaluateReader({ ...base, dataDir: noData })).rejects.toMatchObject({
      code: 'DATA_DIR_MISSING',
      problem: `--data-dir ${noData} does not exist.`,
      hint: expect.stringMatching(/handwritten-names-dev\/ and handwritten-amounts-dev\//),
    });
    const half = join(root, 'half-data');
    await mkdirp(join(half, 'handwritten-names-dev'));
    await writeFile(join(half, 'handwritten-names-dev', 'labels.tsv'), 'a.jpg\tANNA\n');
    await expect(evaluateReader({ ...base, dataDir: half })).rejects.toMatchObject({
      code: 'DEV_SET_MISSING',
      problem: `--data-dir ${half} holds no handwritten-amounts-dev/labels.tsv.`,
    });
    expect(findDevSet('handwritten-names-dev', noData)).toEqual({
      dir: undefined,
      looked: [join(noData, 'handwritten-names-dev')],
    });
    await expect(
      evaluateReader({
        ...base,
        dataDir: half,
        real: [{ field: 'names', dir: join(half, 'handwritten-names-dev') }],
      }),
    ).rejects.toMatchObject({ code: 'DATA_DIR_INVALID' });
    expect(existsSync(base.outDir)).toBe(false);
  });

  it('reads the first lines of the dev sets alone with synthetic: false', async () => {
    const { report } = await evaluateReader({
      run: runDir,
      runtime: 'tfjs',
      synthetic: false,
      limit: 3,
      beam: 1,
      outDir: join(root, 'reports-default'),
    }).catch((e) => {
      if ((e as HcrError).code === 'LINES_NONE') return { report: null };
      throw e;
    });
    if (!report) return; // the dev sets do not exist here: LINES_NONE is the answer
    expect(report.sources.map((s) => s.name)).not.toContain('synthetic-test');
    expect(report.skipped).toEqual([]);
    expect(report.limit).toBe(3);
    for (const s of report.sources) expect(s.count).toBe(3);
  }, 60_000);
});

describe('a case-sensitive reader (hcr62-line)', () => {
  it('is read against its own synthetic lines by default and scored with case-exact figures', async () => {
    const a62 = lineAlphabet(LABEL_SPACE_62);
    const dir = join(root, 'models', 'reader-62');
    const model = buildReader({ classes: a62.size, seed: 3 });
    await saveModel(model, dir, {
      ...(JSON.parse(await readFile(join(runDir, 'metadata.json'), 'utf8')) as ModelMetadata),
      id: 'reader-62',
      labelSpace: a62.labelSpace,
      classNames: [...a62.symbols],
      reader: {
        alphabetId: a62.id,
        symbols: [...a62.symbols],
        height: LINE_HEIGHT,
        stride: LINE_STRIDE,
        minWidth: LINE_MIN_WIDTH,
      },
    });
    model.dispose();
    const { report } = await evaluateReader({
      run: dir,
      runtime: 'tfjs',
      limit: 2,
      beam: 1,
      outDir: join(root, 'reports-62'),
    }).catch((e) => {
      if ((e as HcrError).code === 'LINES_NONE') return { report: null };
      throw e;
    });
    if (!report) return; // no lines and no dev sets on this machine
    expect(report.model.alphabetId).toBe('hcr62-line');
    // artifacts/data/lines-62 (not the 36-class lines): read when it exists, else skipped naming how to build it
    const synthetic = report.sources.find((s) => s.name === 'synthetic-test');
    if (synthetic) expect(synthetic.dir).toMatch(/lines-62$/);
    else expect(report.skipped[0]!.reason).toMatch(/lines-62.*hcr data lines prepare --labels 62/);
    for (const s of report.sources)
      for (const c of s.constraints) expect(c.caseExactRate).toBeTypeOf('number');
  }, 60_000);
});
