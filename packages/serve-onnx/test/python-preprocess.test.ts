/**
 * The Python reproduction of hcr's character input (examples/hcr_preprocess.py, what the README gives third
 * parties using Python onnxruntime) against hcr's own code: normaliseCharacter of @hcr/image and
 * preparePixels of serving, on random strokes of many sizes and both polarities. Needs python3 with numpy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRng } from '@hcr/core';
import { normaliseCharacter } from '@hcr/image';
import { decodeImage } from '@hcr/image/decode';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { preparePixels } from '../src/index.js';

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const HAS_NUMPY = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

interface Img {
  w: number;
  h: number;
  data: number[];
}

/** A few random thick strokes on a black field (bright ink), any size. */
function strokes(rng: ReturnType<typeof createRng>, w: number, h: number): Img {
  const data = new Array<number>(w * h).fill(0);
  for (let s = 0; s < 3; s++) {
    let x = rng.next() * w;
    let y = rng.next() * h;
    const dx = (rng.next() - 0.5) * 0.1 * w;
    const dy = (rng.next() - 0.5) * 0.1 * h;
    const r = 1 + rng.next() * Math.max(1, Math.min(w, h) / 12);
    const ink = 120 + rng.next() * 135;
    for (let t = 0; t < 12; t++, x += dx, y += dy)
      for (let yy = Math.floor(y - r); yy <= y + r; yy++)
        for (let xx = Math.floor(x - r); xx <= x + r; xx++)
          if (xx >= 0 && yy >= 0 && xx < w && yy < h && (xx - x) ** 2 + (yy - y) ** 2 <= r * r)
            data[yy * w + xx] = Math.max(data[yy * w + xx]!, ink);
  }
  return { w, h, data };
}

function python(fn: string, images: Img[]): number[][] {
  const script = `
import json, sys
import numpy as np
sys.path.insert(0, ${JSON.stringify(EXAMPLES)})
from hcr_preprocess import ${fn}
out = [${fn}(np.array(i["data"], dtype=np.float64).reshape(i["h"], i["w"])).ravel().tolist() for i in json.load(sys.stdin)]
print(json.dumps(out))`;
  const stdout = execFileSync('python3', ['-c', script], { input: JSON.stringify(images), encoding: 'utf8' });
  return JSON.parse(stdout) as number[][];
}

/** Largest per-pixel difference and the share of pixels that agree exactly. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>): { maxDiff: number; exact: number } {
  let maxDiff = 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    maxDiff = Math.max(maxDiff, d);
    if (d === 0) same++;
  }
  return { maxDiff, exact: same / a.length };
}

describe.skipIf(!HAS_NUMPY)('examples/hcr_preprocess.py reproduces the inputs hcr makes', () => {
  const rng = createRng(15);
  const sizes: [number, number][] = [
    [28, 28],
    [40, 60],
    [120, 90],
    [17, 33],
    [300, 200],
  ];
  const images = sizes.flatMap(([w, h]) => Array.from({ length: 8 }, () => strokes(rng, w, h)));

  it('normalise_character = normaliseCharacter (within 1 grey level, same placement)', () => {
    const py = python('normalise_character', images);
    let exact = 0;
    images.forEach((img, k) => {
      const js = normaliseCharacter(img.data, img.w, img.h);
      const c = compare(js, py[k]!);
      expect(c.maxDiff, `image ${k} (${img.w}x${img.h})`).toBeLessThanOrEqual(1);
      exact += c.exact / images.length;
    });
    expect(exact).toBeGreaterThan(0.99);
  });

  it('prepare_clean_image = preparePixels on 28x28 drawings, bright or dark ink', () => {
    const small = images.filter((i) => i.w === 28 && i.h === 28);
    const both = [...small, ...small.map((i) => ({ ...i, data: i.data.map((v) => 255 - v) }))];
    const py = python('prepare_clean_image', both);
    both.forEach((img, k) => {
      const c = compare(preparePixels(img.data).pixels, py[k]!);
      expect(c.maxDiff, `image ${k}`).toBeLessThanOrEqual(1);
    });
  });

  it('image_values reads RGBA images as hcr decodes them: cut-outs by their opacity, the rest on white', async () => {
    // 40x40 RGBA: a bar of `ink` colour and opacity on a ground of `ground` colour and opacity
    const cases = [
      { name: 'white ink on transparency', ink: [255, 255, 255, 255], ground: [0, 0, 0, 0] },
      { name: 'dark ink on transparency', ink: [20, 20, 60, 255], ground: [255, 255, 255, 0] },
      { name: 'half-transparent blue ink on white', ink: [30, 60, 200, 140], ground: [255, 255, 255, 255] },
      { name: 'opaque dark ink on grey paper', ink: [10, 10, 10, 255], ground: [180, 170, 160, 255] },
    ];
    const images = cases.map(({ ink, ground }) => {
      const data = new Uint8Array(40 * 40 * 4);
      for (let i = 0; i < 40 * 40; i++) data.set(i % 40 >= 16 && i % 40 < 24 ? ink : ground, i * 4);
      return data;
    });
    const script = `
import json, sys
import numpy as np
sys.path.insert(0, ${JSON.stringify(EXAMPLES)})
from hcr_preprocess import image_values
out = []
for d in json.load(sys.stdin):
    grey, bright = image_values(np.array(d, dtype=np.uint8).reshape(40, 40, 4))
    out.append({"grey": grey.ravel().tolist(), "bright": bright})
print(json.dumps(out))`;
    const input = JSON.stringify(images.map((d) => [...d]));
    const py = JSON.parse(execFileSync('python3', ['-c', script], { input, encoding: 'utf8' })) as {
      grey: number[];
      bright: boolean;
    }[];
    for (const [k, data] of images.entries()) {
      const png = await sharp(data, { raw: { width: 40, height: 40, channels: 4 } })
        .png()
        .toBuffer();
      const hcr = await decodeImage(png);
      expect(py[k]!.bright, cases[k]!.name).toBe(hcr.kind === 'alpha');
      expect(compare(hcr.values, py[k]!.grey).maxDiff, cases[k]!.name).toBeLessThanOrEqual(0.5);
    }
  });
});
