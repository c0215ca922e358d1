import { HcrError } from '@hcr/core';
import { normaliseCharacter } from '../character.js';
import { extractInkShared, type InkOptions, inkOptions } from '../character-ink.js';
import { cleanPaper, PIXELS, type PreparedCharacter, preparePixels, SIDE } from '../character-pixels.js';
import { type DecodeLimits, decodeImage, decodeImageNow } from './decode.js';

export interface PreprocessOptions extends DecodeLimits, InkOptions {}

/**
 * No one character is this many times wider than high, or higher than wide (a thin 1 cropped tight is about 6):
 * such a strip shrunk to the working size is a row or two of pixels, and any class read from it is noise.
 */
export const MAX_CHARACTER_ASPECT = 20;

/** Encoded image (any format decodeImage reads, any size and colour) -> canonical 28x28. */
export async function prepareImage(
  bytes: Uint8Array,
  opts: PreprocessOptions = {},
): Promise<PreparedCharacter> {
  inkOptions(opts); // BAD_OPTIONS before any decoding, also for a clean 28x28 that never reaches extractInk
  // Small PNGs decode at once into a buffer of this thread's, read by extractInk before anything else runs.
  const img = decodeImageNow(bytes, opts, true) ?? (await decodeImage(bytes, opts));
  checkCharacterShape(img.originalWidth, img.originalHeight);
  const source = {
    kind: 'image' as const,
    format: img.format,
    width: img.originalWidth,
    height: img.originalHeight,
  };
  // A clean 28x28 rendering (MNIST's form, or what `prepare` returns) is the model's input already: the
  // photo pipeline would blur and re-threshold it (canonical test images as PNGs: 86.3% right through it,
  // 91.3% taken as they are), so it is taken like a 28x28 array.
  const paper = img.width === SIDE && img.height === SIDE ? cleanPaper(img.values) : undefined;
  if (paper) return { ...preparePixels(img.values, paper), source };
  // The ink is a shared buffer: normaliseCharacter reads it before anything else runs on this thread.
  const { ink, report } = extractInkShared(img.values, img.width, img.height, {
    ...opts,
    knownPolarity: img.kind === 'alpha' ? 'ink-bright' : undefined,
  });
  // A blank page is an answer ("no character"), not an error: one blank image must not fail a batch.
  if (report.blank) return { pixels: new Uint8Array(PIXELS), ink: report, noInk: true, source };
  return {
    pixels: normaliseCharacter(ink, img.width, img.height),
    ink: report,
    source,
  };
}

function checkCharacterShape(width: number, height: number): void {
  const wide = width >= height;
  const ratio = wide ? width / height : height / width;
  if (ratio <= MAX_CHARACTER_ASPECT) return;
  throw new HcrError(
    'IMAGE_TOO_ELONGATED',
    `The image is ${width}x${height}, ${Math.round(ratio)} times ${wide ? 'wider than high' : 'higher than wide'}: no single character is that shape.`,
    {
      hint: 'Crop the image to the one character; a word, number or line of writing is for a line reader.',
    },
  );
}
