import { isPrinted, selectBand } from '../src/band.js';
import { components } from '../src/components.js';
import { toGrey } from '../src/grey.js';
import { flatten, inkThreshold, softInk } from '../src/ink.js';
import { decodeImage, devSet } from './dev-images.js';

const set = devSet('handwritten-names-dev')!;
for (const i of process.argv.slice(2).map(Number)) {
  const img = await decodeImage(set.items[i].file);
  const g = toGrey(img);
  const w = img.width,
    h = img.height;
  const diff = flatten(g, w, h);
  const t = inkThreshold(diff);
  const ink = softInk(diff, 0.5 * t, 1.5 * t);
  const mask = new Uint8Array(w * h).map((_, k) => (ink[k] >= 0.5 ? 1 : 0));
  const comps = components(mask, ink, w, h, new Int32Array(w * h)).filter((c) => c.area >= 3);
  console.log(i, set.items[i].label, w, h, 't', t.toFixed(1));
  for (const c of comps.sort((a, b) => a.x0 - b.x0))
    console.log(`  x ${c.x0}-${c.x1} y ${c.y0}-${c.y1} area ${c.area} mass ${c.mass.toFixed(0)}`);
}
