import { preprocessLine } from '@hcr/image';

// A 120x40 light page with seven dark 3-px strokes, 20 px tall (any decoder's raw pixels work the same:
// sharp's `raw()` output with `channels: info.channels`, a canvas' RGBA `getImageData().data` with 4).
const width = 120;
const height = 40;
const data = new Uint8Array(width * height).fill(225);
for (let y = 10; y < 30; y++) for (let x = 20; x < 100; x++) if (x % 12 < 3) data[y * width + x] = 40;
const line = preprocessLine({ width, height, data });
console.log(line.height); // 32
console.log(line.width); // 104: the ink's 75 px x 26/20, plus 3 px of background each side
console.log(line.pixels.length); // 3328: the 104 x 32 bytes, 0 = background, 255 = ink
console.log(line.crop); // { x: 24, y: 10, width: 75, height: 20 }: the ink band in source pixels
console.log(line.polarity); // dark-on-light
