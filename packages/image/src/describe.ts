import {
  HcrError,
  type InputNormalisation,
  type LineReaderInfo,
  type ModelMetadata,
  READER_CONTEXT_PAD,
} from '@hcr/core';
import { CANONICAL_NORMALISATION } from './character.js';
import { LINE_HEIGHT, LINE_MARGIN, LINE_MAX_WIDTH, LINE_MIN_WIDTH } from './types.js';

/**
 * How an image becomes a model's input tensor, written into the ONNX metadata (`hcr.preprocessing`) so a
 * runtime outside hcr (Python onnxruntime, say) can reproduce the inputs hcr feeds the model. Built from
 * the same constants the preprocessing code uses, so the description cannot drift from it.
 */
export interface PreprocessingDescription {
  /** Format of this description. */
  format: 1;
  task: 'character' | 'line';
  input: {
    layout: 'NHWC' | 'NCHW';
    /** Symbolic dimensions by name (`N`, `width`). */
    shape: (number | string)[];
    dtype: 'float32';
    channels: 'grey';
  };
  /** From the 0..255 grey image to the tensor's values. */
  pixels: {
    ink: 'bright';
    background: 0;
    range: [0, 255];
    formula: 'x = (p / 255 - mean) / std';
    mean: number;
    std: number;
    /** What 0 (background) and 255 (full ink) become. */
    inputRange: [number, number];
  };
  /** Character models: the canonical normalisation's parameters. */
  character?: { normalisation: 'canonical' | 'none'; size: number; boxSize: number; inkThreshold: number };
  /** Line readers: the line geometry. */
  line?: {
    height: number;
    margin: number;
    minWidth: number;
    maxWidth: number;
    /** Input columns per output frame: frames = floor(width / stride). */
    stride: number;
    /** Output symbol index of the CTC blank. */
    blank: 0;
  };
  /** The steps in order, each precise enough to implement. */
  steps: string[];
  /** Where the steps are explained at length, and the code that runs them. */
  reference: string;
}

const LINE_GREY =
  'greyscale: luminance 0.299 R + 0.587 G + 0.114 B (Rec. 601); an image with transparency is composited on white and on black and the version with more contrast is kept';
const CHARACTER_GREY =
  'greyscale: composite on white, luminance 0.299 R + 0.587 G + 0.114 B (Rec. 601); a cut-out (at least 5% of the pixels with alpha < 128) uses its alpha channel as the ink instead';

function pixelScale(n: InputNormalisation): PreprocessingDescription['pixels'] {
  return {
    ink: 'bright',
    background: 0,
    range: [0, 255],
    formula: 'x = (p / 255 - mean) / std',
    mean: n.mean,
    std: n.std,
    inputRange: [(0 - n.mean) / n.std, (1 - n.mean) / n.std],
  };
}

function characterSteps(n: InputNormalisation): string[] {
  const { size, boxSize, inkThreshold } = CANONICAL_NORMALISATION;
  const half = size / 2;
  return [
    CHARACTER_GREY,
    'polarity: the model wants bright ink on a black (0) background. The paper level is the median of a border ring 3% of the shorter side wide; the image is dark-on-light (the usual photo or scan) when paper - (0.5th percentile) > (99.5th percentile) - paper, and then it is inverted, p -> max - p',
    'photos only (what hcr serve adds for encoded images, except a clean 28 x 28 rendering: one whose outer ring is at least 90% exactly 0 or exactly 255, which is taken like a 28 x 28 array, its paper being that extreme): flatten uneven light, threshold (Otsu with a soft ramp), drop specks and ruled lines, thicken strokes thinner than 0.12 of the character size to 0.15, blur the edges by 0.015 of it',
    `crop: the bounding box of the pixels >= ${inkThreshold} x the brightest pixel`,
    `scale: the box's longer side to ${boxSize} px, aspect ratio kept (each side rounded, 1..${size} px), separable triangle filter whose radius is max(1, input px per output px), samples at pixel centres, weights normalised, both passes in floating point (numpy reference: examples/hcr_preprocess.py of @hcr/serve-onnx)`,
    `centre: paste into a ${size} x ${size} black field at offset round(${half} - cx) (clamped to 0..${size} - width) and likewise for y, where (cx, cy) is the centre of mass of the scaled box with pixel centres at +0.5`,
    'stretch: multiply so the brightest pixel is 255, round, clamp to 0..255 (unsigned 8-bit)',
    `tensor: x = (p / 255 - ${n.mean}) / ${n.std}, one image per batch row, shaped as input.shape`,
  ];
}

function lineSteps(n: InputNormalisation, minWidth: number): string[] {
  const inner = LINE_HEIGHT - 2 * LINE_MARGIN;
  return [
    LINE_GREY,
    'polarity: the writing is made dark on light first (a light-on-dark image, detected because the background is the bulk of the pixels, or, when the two tails of the grey histogram are about as far from its median, because its thin strokes stand out more when inverted, is inverted); the steps below turn it into bright ink on a black (0) background',
    'background flattening: ink = how much darker a pixel is than the paper around it (a grey closing wider than any stroke), so uneven light and textured paper cancel; ink threshold = max(24 grey levels, half the Otsu split, paper mean + 3 sigma)',
    'crop: the band of the line of handwriting (8-connected ink components grouped into rows, the row with the most ink); ruled form lines and a printed label left of the writing are removed',
    `scale: the band (at least 4 stroke widths high) to ${inner} rows centred in ${LINE_HEIGHT} (${LINE_MARGIN} rows of background above and below), the width by the same factor plus ${LINE_MARGIN} px of background each side, triangle filter widened when shrinking`,
    'contrast: the kept writing sets the scale: its stroke cores reach 255, the anti-aliased ramp is kept (not binarised); round, clamp to 0..255',
    `width: at least ${minWidth} (a narrower line is centred between background columns); to batch lines of different widths, pad each on the right with 0 by at least ${READER_CONTEXT_PAD} columns (the reader's receptive field beyond a frame) and read only its own floor(width / stride) frames: hcr does so, and a line then reads the same alone or batched`,
    `tensor: x = (p / 255 - ${n.mean}) / ${n.std}, shaped as input.shape; output [N, 1, frames, symbols] CTC probabilities, frames = floor(width / stride), symbol 0 the CTC blank (symbols: hcr.reader)`,
  ];
}

/**
 * The preprocessing a model expects, from its ModelMetadata (`task`, `inputShape`, `inputNormalisation`,
 * `characterNormalisation`, `reader`). `layout` is the ONNX input's (`nchw` when exported that way).
 */
export function describePreprocessing(
  meta: Pick<ModelMetadata, 'inputNormalisation'> &
    Partial<Pick<ModelMetadata, 'task' | 'inputShape' | 'characterNormalisation' | 'reader'>>,
  layout: 'nhwc' | 'nchw' = 'nhwc',
): PreprocessingDescription {
  const n = meta?.inputNormalisation;
  if (!(Number.isFinite(n?.mean) && Number.isFinite(n?.std) && n.std > 0))
    throw new HcrError(
      'BAD_OPTIONS',
      `describePreprocessing needs the model's inputNormalisation ({ mean, std }, std above 0); it was given ${JSON.stringify(n)}.`,
      {
        hint: "Pass the model's metadata (ModelMetadata of @hcr/model), which holds its inputNormalisation.",
      },
    );
  if (layout !== 'nhwc' && layout !== 'nchw')
    throw new HcrError(
      'BAD_OPTIONS',
      `describePreprocessing: layout ${String(layout)} is not nhwc or nchw.`,
      {
        hint: "Give the ONNX input's layout: nhwc (hcr's default) or nchw.",
      },
    );
  const nchw = layout === 'nchw';
  const shape = (h: number | string, w: number | string) => (nchw ? ['N', 1, h, w] : ['N', h, w, 1]);
  const input = (h: number | string, w: number | string): PreprocessingDescription['input'] => ({
    layout: nchw ? 'NCHW' : 'NHWC',
    shape: shape(h, w),
    dtype: 'float32',
    channels: 'grey',
  });
  const reference =
    "hcr's packages/serve-onnx/README.md, section 'Model metadata for other runtimes' (code: normaliseCharacter and preprocessLine of @hcr/image)";
  if (meta.task === 'line') {
    const r: Partial<LineReaderInfo> = meta.reader ?? {};
    const minWidth = r.minWidth ?? LINE_MIN_WIDTH;
    return {
      format: 1,
      task: 'line',
      input: input(r.height ?? LINE_HEIGHT, 'width'),
      pixels: pixelScale(n),
      line: {
        height: r.height ?? LINE_HEIGHT,
        margin: LINE_MARGIN,
        minWidth,
        maxWidth: LINE_MAX_WIDTH,
        stride: r.stride ?? 4,
        blank: 0,
      },
      steps: lineSteps(n, minWidth),
      reference,
    };
  }
  const [h, w] = meta.inputShape ?? [CANONICAL_NORMALISATION.size, CANONICAL_NORMALISATION.size];
  return {
    format: 1,
    task: 'character',
    input: input(h, w),
    pixels: pixelScale(n),
    character: {
      normalisation: meta.characterNormalisation ?? 'canonical',
      size: CANONICAL_NORMALISATION.size,
      boxSize: CANONICAL_NORMALISATION.boxSize,
      inkThreshold: CANONICAL_NORMALISATION.inkThreshold,
    },
    steps: characterSteps(n),
    reference,
  };
}
