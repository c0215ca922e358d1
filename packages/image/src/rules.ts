/**
 * Removal of form lines: straight horizontal or vertical runs of ink much longer than any letter part and
 * only a few pixels thick. Where handwriting crosses a line the ink there is thicker than the line, so it
 * is kept; the bar of a T or H, a hyphen or a 1 are shorter than the run length asked for.
 */

export interface RuleOptions {
  /** Shortest horizontal run removed, pixels. */
  minHorizontal: number;
  /** Shortest vertical run removed, pixels. */
  minVertical: number;
  /** Thickest line removed, pixels. */
  maxThickness: number;
}

/** Pixels at or above this ink level make up lines. */
const LINE_INK = 0.35;
/** Gaps (pixels) a line may have and still count as one (broken print, JPEG). */
const GAP = 2;
/** Share of a line's length that must be ink. */
const MIN_FILL = 0.9;

/** Default thresholds for a working image of this size. */
export function ruleOptionsFor(height: number): RuleOptions {
  return {
    minHorizontal: Math.max(24, Math.round(1.5 * height)),
    // Only a line crossing the whole crop: a tall 1 or I in a tight crop comes close to 0.8 of it.
    minVertical: Math.max(16, Math.ceil(0.95 * height)),
    // Form lines are a few pixels at any scan size; a marker stroke on the drawing page is thicker.
    maxThickness: Math.max(3, Math.round(height / 20)),
  };
}

/** Clears form lines from the ink plane in place; returns how many pixels were cleared. */
export function removeRules(ink: Float32Array, width: number, height: number, opts: RuleOptions): number {
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = ink[i] >= LINE_INK ? 1 : 0;
  const clear = new Uint8Array(width * height);
  markLines(mask, width, height, opts.minHorizontal, opts.maxThickness, true, clear);
  markLines(mask, width, height, opts.minVertical, opts.maxThickness, false, clear);
  let cleared = 0;
  for (let i = 0; i < clear.length; i++) {
    if (clear[i]) {
      ink[i] = 0;
      cleared++;
    }
  }
  return cleared;
}

/**
 * Marks the thin part of every long run along one axis. `horizontal`: runs along rows, thickness measured
 * down the column; otherwise the transpose.
 */
function markLines(
  mask: Uint8Array,
  width: number,
  height: number,
  minLength: number,
  maxThickness: number,
  horizontal: boolean,
  clear: Uint8Array,
): void {
  const len = horizontal ? width : height;
  const lines = horizontal ? height : width;
  const along = horizontal ? 1 : width;
  const across = horizontal ? width : 1;
  const acrossLen = horizontal ? height : width;
  if (len < minLength) return;
  for (let l = 0; l < lines; l++) {
    const base = l * across;
    let i = 0;
    while (i < len) {
      if (!mask[base + i * along]) {
        i++;
        continue;
      }
      // Extend the run over gaps of up to GAP pixels.
      let end = i;
      let on = 1;
      let j = i + 1;
      while (j < len) {
        if (mask[base + j * along]) {
          end = j;
          on++;
          j++;
        } else if (j - end <= GAP) j++;
        else break;
      }
      // A ruled line is nearly solid; the aligned tops of printed letters also make a long run, but one
      // with a gap between every letter.
      if (end - i + 1 >= minLength && on >= MIN_FILL * (end - i + 1)) {
        for (let k = i; k <= end; k++) {
          const p = base + k * along;
          if (!mask[p]) continue;
          // Thickness of ink across the line at this point.
          let a = l;
          while (a > 0 && mask[(a - 1) * across + k * along]) a--;
          let b = l;
          while (b < acrossLen - 1 && mask[(b + 1) * across + k * along]) b++;
          if (b - a + 1 > maxThickness) continue;
          // Clear the line and its one-pixel anti-aliased fringe.
          for (let c = Math.max(0, a - 1); c <= Math.min(acrossLen - 1, b + 1); c++)
            clear[c * across + k * along] = 1;
        }
      }
      i = end + 1;
    }
  }
}
