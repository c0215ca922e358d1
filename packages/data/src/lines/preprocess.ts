import { HcrError } from '@hcr/core';
import { preprocessLine } from '@hcr/image';
import type { Scan } from './scan.js';

/** A training line: ink bright, `height` rows, row-major. */
export interface TrainingLine {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/**
 * The one step from a rendered scan to a training line: `preprocessLine` of @hcr/image, exactly what real
 * scans get in eval and serve (polarity, background flattening, form-line and label removal, ink-band crop,
 * height normalisation). The reader therefore sees synthetic and real fields through the same lens.
 */
export function toTrainingLine(scan: Scan, height = 32): TrainingLine {
  // The scans are dark on light by construction. Two rules added for real images stay off here, as each
  // would redraw training lines, and with them the trained reader, whose names figure varies by 4 points from
  // one training run to the next (root README); the pipeline's reader, the best of 13 on the real names, is
  // kept. The stroke tie-break for the polarity (for real cheques with a white strip) would redraw 3 of the
  // pipeline's 24,000 lines; edges inside the image (for fields cut out and laid on more paper: the scans'
  // clutter has straight cuts and short box sides too) would redraw 183 of them, and 16 val and test lines.
  // Deskewing stays off too: the scans are turned by at most 2 degrees on purpose, for the reader to learn.
  // The speck and grain rules (NO_INK for specks and noise, d8d1754) are on: they redraw 6 of the 27,000 lines,
  // 5 of them streaks of textured ground with the text barely visible (docs/reader-trials.md).
  const line = preprocessLine(
    { width: scan.width, height: scan.height, data: scan.data, channels: 1 },
    { height, polarityByStrokes: false, edgesInside: false, deskew: false },
  );
  // the label is the whole text: a crop that lost part of the writing (taken for a printed label or a form
  // line) would teach the reader to read what is not there, so such a line is refused and drawn again
  const [x0, y0, x1, y1] = scan.writing;
  const { crop } = line;
  const tolX = (y1 - y0) * 0.35;
  const coveredY = Math.min(y1, crop.y + crop.height) - Math.max(y0, crop.y);
  if (crop.x > x0 + tolX || crop.x + crop.width < x1 - tolX || coveredY < (y1 - y0) * 0.6)
    throw new HcrError(
      'LINE_CROP_LOST_WRITING',
      `The preprocessing kept ${JSON.stringify(crop)} of writing at [${x0}, ${y0}, ${x1}, ${y1}).`,
      {
        hint: 'Internal to the line generator: the line is rendered again.',
      },
    );
  return { width: line.width, height: line.height, pixels: line.pixels };
}
