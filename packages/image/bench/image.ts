/**
 * Dev-only: preprocessLine speed on synthetic scans (and the real dev sets when present).
 * Usage: pnpm bench image (or node --conditions=source --import tsx packages/image/bench/image.ts)
 */

import { loadavg } from 'node:os';
import { decodeImage, devSet } from '../scripts/dev-images.js';
import { preprocessLine } from '../src/index.js';

/** A textured grey page with dark strokes across the middle third. */
function scan(width: number, height: number) {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ground = 200 - (40 * x) / width + 12 * Math.sin((x + 2 * y) / 3);
      const inBand = y > height / 3 && y < (2 * height) / 3;
      const stroke = inBand && x % Math.max(6, height >> 2) < Math.max(2, height >> 4);
      data[y * width + x] = stroke ? 50 : ground;
    }
  }
  return { width, height, data };
}

/** Wall time and this process' CPU time per call (CPU time is less distorted by other work on the machine). */
function time(label: string, run: () => unknown, reps: number): void {
  for (let i = 0; i < 3; i++) run();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run();
  const wall = (performance.now() - t0) / reps;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000 / reps;
  console.log(`${label}: ${wall.toFixed(2)} ms per line (CPU ${cpu.toFixed(2)} ms)`);
}

const load0 = loadavg()[0]!;
for (const [w, h, reps] of [
  [400, 40, 200],
  [1000, 100, 50],
  [2000, 200, 20],
] as const) {
  const img = scan(w, h);
  time(`synthetic ${w}x${h}`, () => preprocessLine(img), reps);
}
for (const name of ['handwritten-names-dev', 'handwritten-amounts-dev'] as const) {
  const set = devSet(name);
  if (!set) {
    console.log(`${name}: not found (set HCR_DATA_DIR to the shared data folder); skipped`);
    continue;
  }
  const imgs = await Promise.all(set.items.map((it) => decodeImage(it.file)));
  for (const img of imgs.slice(0, 20)) preprocessLine(img);
  const refused = new Map<string, number>();
  let labels = 0;
  let width = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const img of imgs) {
    try {
      const line = preprocessLine(img);
      if (line.labelRemoved) labels++;
      width += line.width;
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'ERROR';
      refused.set(code, (refused.get(code) ?? 0) + 1);
    }
  }
  const ms = (performance.now() - t0) / imgs.length;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000 / imgs.length;
  const ok = imgs.length - [...refused.values()].reduce((a, b) => a + b, 0);
  console.log(
    `${name}: ${imgs.length} images, ${ms.toFixed(2)} ms per image (CPU ${cpu.toFixed(2)} ms), mean line width ${(width / ok).toFixed(0)}, ` +
      `printed label removed in ${labels}, refused ${JSON.stringify(Object.fromEntries(refused))}`,
  );
}
console.log(`load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`);
