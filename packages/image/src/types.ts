/** A grey (or RGB/RGBA) image, row-major, values 0..255, either polarity. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  /** Interleaved channels per pixel: 1 grey (default), 2 grey + alpha, 3 RGB, 4 RGBA (sharp's `info.channels`). */
  channels?: 1 | 2 | 3 | 4;
}

/** What the line reader consumes: ink bright (0 background, 255 ink), `height` rows, aspect kept. */
export interface LineImage {
  width: number;
  height: number;
  /** Row-major, `height x width`. */
  pixels: Uint8Array;
  /** The ink band that was kept, in source pixels. */
  crop: { x: number; y: number; width: number; height: number };
  /** What the source looked like. */
  polarity: 'dark-on-light' | 'light-on-dark';
  /** A printed field label left of the writing ("NOM :") was dropped. */
  labelRemoved: boolean;
  /**
   * The heaviest other row of writing in the image against the band kept, by ink, print and label, wherever it
   * lies (0: it was the only row; 1 or more: another row is as much the field), for callers that tell a field
   * among printed rows from a note of lines.
   */
  rival: number;
  /** Degrees the line leaned (positive: falling to the right) and was turned back; 0 when it lay flat. */
  skew: number;
}

export interface LinePreprocessOptions {
  /** Output height (rows). Default 32, the reader's LINE_HEIGHT. */
  height?: number;
  /** Rows of background kept above and below the ink band. Default 3 (the ink band fills 26 of 32 rows). */
  margin?: number;
  /** Narrow results are padded with background to this width. Default 16, the reader's LINE_MIN_WIDTH. */
  minWidth?: number;
  /** A result wider than this is refused (LINE_TOO_WIDE): crop the field first. Default 2048. */
  maxWidth?: number;
  /** Remove long thin horizontal and vertical lines (form boxes, rules). Default true. */
  removeRules?: boolean;
  /**
   * Drop a printed field label ("PRENOM:", "NOM") left of the writing or on its own row: three or more
   * letters with tops and bottoms aligned to a pixel, as only print is. Default true.
   */
  removeLabels?: boolean;
  /** Force the polarity instead of detecting it. */
  polarity?: 'dark-on-light' | 'light-on-dark';
  /**
   * When the two tails of the grey histogram are about as far from its median (a white strip along a grey
   * cheque makes a bright tail as big as the ink's dark one), let the thin strokes decide the polarity
   * (`detectPolarity`). Default true. Off, the tails alone decide (the rule before 2026-12-02).
   */
  polarityByStrokes?: boolean;
  /**
   * The field may have been cut out of a form and laid on more paper (scanned on a bed, pasted, padded): a
   * straight cut where several short letters of a neighbouring line stop, and a box side that stops short of
   * the image's edges, count like the image's own edges (the neighbour's stubs weigh a quarter, the box side
   * is dropped), and a printed label is found by the rules for real forms: beside a whole mark taller than it (a
   * reference number printed sideways, which the edge would have cut), beside faint writing with far less ink than
   * its bold print, with a colon whose lower dot hangs below the baseline. Default true. Off (the line
   * generator's setting), only the image's edges count and labels are found by the strict rules (those before
   * 2026-12-04).
   */
  edgesInside?: boolean;
  /**
   * Turn a line written or photographed at an angle (2 to 15 degrees) flat before reading it. Default true.
   * Off, the line is read as it lies (the rule before 2026-12-04).
   */
  deskew?: boolean;
}

export const LINE_HEIGHT = 32;
export const LINE_MARGIN = 3;
export const LINE_MIN_WIDTH = 16;
export const LINE_MAX_WIDTH = 2048;
/** Inputs wider than this many heights are refused before any work (a whole page row, not a field). */
export const MAX_INPUT_ASPECT = 120;
