import { boxBlur, maxFilter, minFilter } from '../src/filters.js';
import { background, detectPolarity, inkMap } from '../src/ink.js';

const w = 400,
  h = 40;
const a = new Float32Array(w * h).map((_, i) => (i * 7919) % 255);
function t(l: string, f: () => void) {
  for (let i = 0; i < 50; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) f();
  console.log(l, ((performance.now() - t0) / 1000).toFixed(3));
}
const s = new Float32Array(200 * 20).map((_, i) => (i * 7919) % 255);
t('max small', () => maxFilter(s, 200, 20, 9));
t('blur small', () => boxBlur(s, 200, 20, 2));
t('bg', () => background(a, w, h));
t('pol', () => detectPolarity(a));
t('ink', () => inkMap(a, w, h));
