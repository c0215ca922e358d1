import { createRng, HcrError } from '@hcr/core';
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { DataDirOptions } from '../locate.js';
import { rebuildCommand } from '../rebuild-command.js';
import type { LineSplitName } from './config.js';
import { generatorFingerprint } from './fingerprint.js';
import { loadGlyphBank, locateGlyphFiles } from './glyphs.js';
import { type GeneratedLineManifest, isImportedLines } from './manifest.js';
import { type LineDataset, linePixels, lineText } from './reader.js';
import { createLineGenerator } from './render.js';

export interface LinePreviewOptions extends DataDirOptions {
  split?: LineSplitName;
  count?: number;
  /** Which lines: a seeded random sample. */
  seed?: number;
  /** Also show each line's rendered scan (re-rendered from the manifest's config: needs the raw files). */
  scans?: boolean;
}

function putGrey(
  ctx: SKRSContext2D,
  data: Uint8Array,
  w: number,
  h: number,
  x: number,
  y: number,
  invert: boolean,
  zoom: number,
): void {
  const tile = createCanvas(w, h);
  const tctx = tile.getContext('2d');
  const img = tctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = invert ? 255 - data[i]! : data[i]!;
    img.data[i * 4] = v;
    img.data[i * 4 + 1] = v;
    img.data[i * 4 + 2] = v;
    img.data[i * 4 + 3] = 255;
  }
  tctx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = zoom < 1;
  ctx.drawImage(tile, x, y, w * zoom, h * zoom);
}

/**
 * The generator that draws the lines' scans again: from the letters the lines were drawn from (not whichever this
 * machine would pick today), and only when the raw files found and this hcr's generator are the ones the manifest
 * records. Otherwise each scan shown above a line would be another drawing than the line (other glyphs, other
 * texts), with nothing to say so.
 */
async function scanGenerator(dataset: LineDataset, opts: LinePreviewOptions) {
  const manifest = dataset.manifest as GeneratedLineManifest;
  const { files, parts, rawInputs } = await locateGlyphFiles(opts, dataset.letterSource);
  const recorded = manifest.rawInputs ?? [];
  const differ = rawInputs.filter((r, i) => recorded[i] !== undefined && recorded[i]!.sha256 !== r.sha256);
  const rebuild = rebuildCommand(dataset.dir, 'lines');
  if (differ.length || (recorded.length > 0 && recorded.length !== rawInputs.length))
    throw new HcrError(
      'PREVIEW_SCANS_MISMATCH',
      `The raw files found are not the ones the lines in ${dataset.dir} were drawn from (${differ.map((r) => `${r.dataset} ${r.role}: sha256 ${r.sha256.slice(0, 12)}... here`).join(', ') || 'other files'}): the scans would show other characters than the lines.`,
      {
        hint: `Point --data-dir (or HCR_DATA_DIR) at the files the lines were made from, drop --scans, or redraw the lines from these files with ${rebuild}.`,
      },
    );
  if (manifest.generator !== undefined && manifest.generator !== generatorFingerprint(manifest.config))
    throw new HcrError(
      'PREVIEW_SCANS_MISMATCH',
      `The lines in ${dataset.dir} were drawn by another version of the line generator: this hcr would draw other scans than theirs.`,
      { hint: `Drop --scans, or redraw the lines with this version: ${rebuild}.` },
    );
  const bank = await loadGlyphBank(files, false, parts);
  return createLineGenerator(manifest.config, bank, dataset.alphabet);
}

/**
 * A labelled contact sheet: each sampled line as the reader sees it (32 px, shown dark on light), its text
 * and kind beside it, and optionally the rendered scan it came from above it.
 */
export async function renderLinePreview(
  dataset: LineDataset,
  opts: LinePreviewOptions = {},
): Promise<Buffer> {
  const { split = 'test', count = 48, seed = 1, scans = false } = opts;
  const { manifest } = dataset;
  if (scans && isImportedLines(manifest))
    throw new HcrError(
      'PREVIEW_NO_SCANS',
      `The lines in ${dataset.dir} were imported from images: there is no drawn scan to show.`,
      {
        hint: `Drop --scans; the images themselves are in ${manifest.imported.source}.`,
      },
    );
  const data = await dataset.loadSplit(split);
  if (data.count === 0)
    throw new HcrError('LINE_SPLIT_EMPTY', `The ${split} split of ${dataset.dir} holds no line.`, {
      hint: 'Preview another split (--split train).',
    });
  const rng = createRng(seed);
  const picks = [
    ...new Set(Array.from({ length: Math.min(count, data.count) * 3 }, () => rng.int(data.count))),
  ]
    .slice(0, Math.min(count, data.count))
    .sort((a, b) => a - b);
  const gen = scans ? await scanGenerator(dataset, opts) : undefined;
  const rendered = picks.map((i) => gen?.render(split, i));
  const H = data.height;
  const scanH = (i: number) => (rendered[i] ? rendered[i]!.scan.height + 6 : 0);
  const textW = 300;
  const rowH = (i: number) => scanH(i) + H + 10;
  const lineW = Math.max(...picks.map((i, k) => Math.max(data.widths[i]!, rendered[k]?.scan.width ?? 0)));
  const width = Math.min(4000, lineW + textW + 20);
  const header = 26;
  const height = header + picks.reduce((a, _, k) => a + rowH(k), 0);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#222';
  ctx.font = '14px DejaVu Sans, sans-serif';
  ctx.fillText(
    `${split}: ${picks.length} lines (seed ${seed})${scans ? ', rendered scan above each 32-px line' : ''}; ${dataset.manifest.alphabet}`,
    6,
    18,
  );
  let y = header;
  picks.forEach((i, k) => {
    const r = rendered[k];
    if (r) putGrey(ctx, r.scan.data, r.scan.width, r.scan.height, 4, y, false, 1);
    putGrey(ctx, linePixels(data, i), data.widths[i]!, H, 4, y + scanH(k), true, 1);
    ctx.strokeStyle = '#c8c8ff';
    ctx.strokeRect(3.5, y + scanH(k) - 0.5, data.widths[i]! + 1, H + 1);
    ctx.fillStyle = '#b00000';
    ctx.font = '16px DejaVu Sans Mono, monospace';
    const kind = dataset.manifest.kinds[data.kinds[i]!];
    ctx.fillText(`${lineText(data, i, dataset.alphabet)}`, lineW + 14, y + scanH(k) + 16);
    ctx.fillStyle = '#777';
    ctx.font = '11px DejaVu Sans, sans-serif';
    ctx.fillText(`#${i} ${kind} ${data.widths[i]}px`, lineW + 14, y + scanH(k) + 30);
    y += rowH(k);
  });
  return canvas.toBuffer('image/png');
}
