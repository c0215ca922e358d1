/**
 * Dev-only: the first N images of each real dev set, original above and preprocessed line below, label
 * beside, as PNGs in artifacts/debug/. Usage: node --conditions=source --import tsx
 * packages/image/scripts/contact-sheet.ts [count=40] [offset=0] [i,j,k (only these)]; SET=names|amounts
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@hcr/core';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { preprocessLine } from '../src/index.js';
import { decodeImage, devSet, REPO_ROOT } from './dev-images.js';

const count = Number(process.argv[2] ?? 40);
const offset = Number(process.argv[3] ?? 0);
/** Optional: only these indices (comma-separated), for looking at particular cases. */
const pick = process.argv[4]?.split(',').map(Number);
const only = process.env.SET;
const outDir = join(REPO_ROOT, 'artifacts/debug');
mkdirSync(outDir, { recursive: true });

for (const name of ['handwritten-names-dev', 'handwritten-amounts-dev'] as const) {
  const set = devSet(name);
  if (!set) {
    console.log(`${name}: not found (set HCR_DATA_DIR); skipped`);
    continue;
  }
  if (only && !name.includes(only)) continue;
  const indices =
    pick ?? Array.from({ length: Math.min(count, set.items.length - offset) }, (_, i) => offset + i);
  const items = indices.map((i) => set.items[i]);
  const cols = 2;
  const cellW = 560;
  const cellH = 140;
  const canvas = createCanvas(cols * cellW, Math.ceil(items.length / cols) * cellH);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ddd';
  g.fillRect(0, 0, canvas.width, canvas.height);
  let ms = 0;
  for (let i = 0; i < items.length; i++) {
    const { file, label } = items[i];
    const x = (i % cols) * cellW + 4;
    const y = Math.floor(i / cols) * cellH + 4;
    const img = await decodeImage(file);
    const src = await loadImage(file);
    const k = Math.min(1, (cellW - 8) / img.width, 60 / img.height);
    g.drawImage(src, x, y, img.width * k, img.height * k);
    g.fillStyle = '#00f';
    g.font = '12px sans-serif';
    g.fillText(`${indices[i]} ${label}`, x + 2, y + 74);
    try {
      const t0 = performance.now();
      const line = preprocessLine(img);
      ms += performance.now() - t0;
      const lc = createCanvas(line.width, line.height);
      const lg = lc.getContext('2d');
      const id = lg.createImageData(line.width, line.height);
      for (let p = 0; p < line.pixels.length; p++) {
        const v = 255 - line.pixels[p];
        id.data.set([v, v, v, 255], p * 4);
      }
      lg.putImageData(id, 0, 0);
      const k2 = Math.min(1.5, (cellW - 8) / line.width);
      g.imageSmoothingEnabled = false;
      g.drawImage(lc, x, y + 80, line.width * k2, line.height * k2);
      // Where the crop was taken.
      g.strokeStyle = '#f00';
      g.strokeRect(x + line.crop.x * k, y + line.crop.y * k, line.crop.width * k, line.crop.height * k);
    } catch (e) {
      g.fillStyle = '#c00';
      g.fillText(String((e as Error).message).slice(0, 80), x + 2, y + 100);
    }
  }
  const out = join(outDir, `image-${name}-${offset}.png`);
  await writeFileAtomic(out, canvas.toBuffer('image/png'));
  console.log(`${out}: ${items.length} images, preprocessLine ${(ms / items.length).toFixed(2)} ms each`);
}
