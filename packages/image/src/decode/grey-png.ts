import sharp from 'sharp';
import { checkPixels } from '../character-ink.js';

/**
 * A greyscale PNG of raw pixels: how `hcr predict --debug` shows what the model sees. Without a size the pixels
 * are a 28x28 character's; a line or any other image needs its width and height (BAD_IMAGE_DATA otherwise).
 */
export async function encodeGreyPng(pixels: Uint8Array, width = 28, height = 28): Promise<Buffer> {
  checkPixels(pixels, width, height);
  // b-w: one channel in the file too (PNG colour type 0); without it libvips writes RGB.
  return sharp(Buffer.from(pixels), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}
