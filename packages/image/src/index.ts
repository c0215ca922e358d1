export {
  CANONICAL_NORMALISATION,
  type CharacterNormalisationOptions,
  normaliseCharacter,
  transposeImages,
} from './character.js';
export {
  DEFAULT_INK_OPTIONS,
  extractInk,
  type InkLayout,
  type InkOptions,
  type InkReport,
  type InkResult,
} from './character-ink.js';
export {
  cleanPaper,
  PIXELS as CHARACTER_PIXELS,
  type PreparedCharacter,
  preparePixels,
  SIDE as CHARACTER_SIDE,
} from './character-pixels.js';
export { describePreprocessing, type PreprocessingDescription } from './describe.js';
export { checkImageSize, toGrey, validateImage } from './grey.js';
export { detectPolarity, flatten, inkThreshold, MIN_INK_CONTRAST, type Polarity, softInk } from './ink.js';
export {
  bucketWidth,
  groupByWidth,
  type LinePixels,
  packLineBatch,
  WIDTH_STEP,
  type WidthGroup,
} from './line-batch.js';
export { preprocessLine, WORK_HEIGHT } from './preprocess.js';
export { resampleRect } from './resample.js';
export {
  type FindTextLinesOptions,
  findTextLines,
  MAX_TEXT_LINES,
  type TextLineBox,
  type TextLines,
} from './text-lines.js';
export {
  type GreyImage,
  LINE_HEIGHT,
  LINE_MARGIN,
  LINE_MAX_WIDTH,
  LINE_MIN_WIDTH,
  type LineImage,
  type LinePreprocessOptions,
  MAX_INPUT_ASPECT,
} from './types.js';
