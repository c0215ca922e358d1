import sharp from 'sharp';

/** A greyscale PNG of raw pixels: how `hcr predict --debug` shows what the model sees. */
export function encodeGreyPng(pixels: Uint8Array, width = 28, height = 28): Promise<Buffer> {
  // b-w: one channel in the file too (PNG colour type 0); without it libvips writes RGB.
  return sharp(Buffer.from(pixels), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}
