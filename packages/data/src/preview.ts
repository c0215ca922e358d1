import { createRng, HcrError, isCaseSensitive } from '@hcr/core';
import { createCanvas } from '@napi-rs/canvas';
import { SPLITS, type SplitName } from './manifest.js';
import type { Dataset } from './reader.js';

export interface PreviewOptions {
  split?: SplitName;
  perClass?: number;
  seed?: number;
  /** Pixels per image pixel. */
  zoom?: number;
}

/**
 * A labelled contact sheet: `perClass` random samples of every class, one row per class, two column groups.
 * Lets a person check at a glance that images are upright and labels are right.
 */
export async function renderPreview(dataset: Dataset, opts: PreviewOptions = {}): Promise<Buffer> {
  const { split = 'train', perClass = 10, seed = 1, zoom = 2 } = opts;
  const data = await dataset.loadSplit(split);
  // as the line preview: an empty split (extra with `"extra": []`) drew a sheet of class names and no image
  if (data.count === 0)
    throw new HcrError('DATA_SPLIT_EMPTY', `The ${split} split of ${dataset.dir} holds no image.`, {
      hint: `Preview another split (${SPLITS.filter((s) => s !== split && dataset.manifest.counts[s]?.total).join(', ')}).`,
    });
  const classes = dataset.manifest.classNames;
  const [h, w] = data.imageShape;
  const rng = createRng(seed);
  const byClass = classes.map(() => [] as number[]);
  for (let i = 0; i < data.count; i++) byClass[data.labels[i]!]!.push(i);

  const cell = w * zoom + 2;
  const labelWidth = 34;
  const groups = 2;
  const layout = previewLayout(classes);
  const rows = layout.length;
  const groupWidth = labelWidth + perClass * cell + 16;
  const header = 28;
  const canvas = createCanvas(groups * groupWidth, header + rows * (h * zoom + 2) + 4);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#222222';
  ctx.font = '14px DejaVu Sans, sans-serif';
  const caseNote = isCaseSensitive(dataset.labelSpace)
    ? `, ${dataset.labelSpace.id}: capitals left, lowercase right`
    : '';
  ctx.fillText(
    `${split}: ${perClass} random samples per class (seed ${seed}), letters from ${dataset.manifest.letterSource}${caseNote}`,
    6,
    18,
  );

  const image = ctx.createImageData(w, h);
  const tile = createCanvas(w, h);
  const tctx = tile.getContext('2d');
  layout.forEach((row, r) => {
    row.forEach((c, g) => {
      if (c === undefined) return;
      const name = classes[c]!;
      const gx = g * groupWidth;
      const gy = header + r * (h * zoom + 2);
      ctx.fillStyle = '#222222';
      ctx.font = 'bold 20px DejaVu Sans, sans-serif';
      ctx.fillText(name, gx + 8, gy + (h * zoom) / 2 + 8);
      const members = byClass[c]!;
      for (let k = 0; k < Math.min(perClass, members.length); k++) {
        const i = members[rng.int(members.length)]!;
        for (let p = 0; p < w * h; p++) {
          // dark ink on white paper reads more naturally than the stored white-on-black
          const v = 255 - data.pixels[i * w * h + p]!;
          image.data.set([v, v, v, 255], p * 4);
        }
        tctx.putImageData(image, 0, 0);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(tile, gx + labelWidth + k * cell, gy, w * zoom, h * zoom);
      }
    });
  });
  return canvas.toBuffer('image/png');
}

/**
 * Rows of the sheet, two class groups per row. Case-merged spaces fill the left column top to bottom, then
 * the right (the 36-class sheet as it always was). Case-sensitive spaces put each capital beside its
 * lowercase letter (blank where hcr47 merges them), digits in pairs below, so case is checked at a glance.
 */
export function previewLayout(classes: readonly string[]): (number | undefined)[][] {
  const caseSensitive = classes.some((c) => c !== c.toUpperCase());
  if (!caseSensitive) {
    const rows = Math.ceil(classes.length / 2);
    return Array.from({ length: rows }, (_, r) => [r, r + rows < classes.length ? r + rows : undefined]);
  }
  const index = new Map(classes.map((c, i) => [c, i] as const));
  const out: (number | undefined)[][] = [];
  for (const c of classes) if (/^[A-Z]$/.test(c)) out.push([index.get(c), index.get(c.toLowerCase())]);
  const digits = classes.flatMap((c, i) => (/^[0-9]$/.test(c) ? [i] : []));
  const half = Math.ceil(digits.length / 2);
  for (let r = 0; r < half; r++) out.push([digits[r], digits[r + half]]);
  return out;
}
