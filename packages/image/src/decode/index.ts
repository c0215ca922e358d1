/**
 * `@hcr/image/decode`: encoded images (PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF, HEIC, a PDF's pages) to pixels, to the reader's 32-px
 * lines and to the character models' canonical 28x28. A subpath of its own so that the package root stays free
 * of native dependencies: install `sharp` beside @hcr/image to use it.
 */

export { type PreprocessOptions, prepareImage } from './character-image.js';
export {
  DEFAULT_DECODE_LIMITS,
  type DecodedImage,
  type DecodeLimits,
  decodeImage,
  decodeImageNow,
  documentPages,
  IMAGE_CONTENT_TYPES,
  IMAGE_FORMATS_TEXT,
  type ImageFormat,
  pageRef,
  parsePageRef,
  sniffImageFormat,
} from './decode.js';
export { encodeGreyPng } from './grey-png.js';
export { MAX_LISTED_PAGES, PAGE_LIST_PATTERN, type PageList, parsePageList } from './page-list.js';
export { PDF_DPI, PDF_PICTURE_LIMIT_FACTOR } from './pdf.js';
export {
  DEFAULT_LINE_LIMITS,
  type LineLimits,
  type PreparedLine,
  type PreparedTextLine,
  prepareLineImage,
  prepareTextLines,
  type TextLinesOptions,
} from './read-line.js';
