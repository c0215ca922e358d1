import type { HcrError } from '@hcr/core';
import { IMAGE_CONTENT_TYPES, IMAGE_FORMATS_TEXT } from '@hcr/image/decode';

/** The route an error came from: what a client sent there decides how the fix is put. */
export type Route = 'predict' | 'read' | 'samples';

/** Pages (PDF, TIFF) are not examples of one line: POST /v1/samples refuses them, so its hints do not offer them. */
export const SAMPLE_CONTENT_TYPES = IMAGE_CONTENT_TYPES.filter(
  (t) => t !== 'application/pdf' && t !== 'image/tiff',
);
const SAMPLE_FORMATS_TEXT = 'PNG, JPEG, WebP, GIF, BMP, AVIF or HEIC';

/**
 * The fix for an error in an HTTP client's terms (query parameters, content types, routes). The libraries word their
 * hints for a caller of their functions (`page` in the decode limits, prepareTextLines); the rest pass through.
 */
export function httpHint(e: HcrError, route: Route | undefined): string | undefined {
  switch (e.code) {
    case 'IMAGE_UNDECODABLE':
      if (route === 'samples')
        return `Send a complete ${SAMPLE_FORMATS_TEXT} file of the line (content-type ${SAMPLE_CONTENT_TYPES.join(', ')}).`;
      return `Send a complete ${IMAGE_FORMATS_TEXT} file of the ${route === 'read' ? 'line or field' : 'character'} (content-type ${IMAGE_CONTENT_TYPES.join(', ')}).`;
    case 'SEVERAL_PAGES': {
      const pages = e.details?.pages;
      return typeof pages === 'number'
        ? `Name the page: page=1 to ${pages}, or page=all (or a list such as page=1-2) for one answer per page.`
        : e.hint;
    }
    case 'SEVERAL_LINES':
      if (route === 'samples') return 'Crop the image to the one line that was read: an example is one line.';
      return route === 'read'
        ? 'Read every line with layout=lines, or crop the image to the one field.'
        : e.hint;
    case 'IMAGE_TOO_ELONGATED':
      return route === 'predict'
        ? 'Crop the image to the one character; a word, number or line of writing goes to POST /v1/read.'
        : e.hint;
    default:
      return e.hint;
  }
}

/** The route of a request's URL, for httpHint. */
export function routeOf(url: string): Route | undefined {
  if (url.startsWith('/v1/read')) return 'read';
  if (url.startsWith('/v1/predict')) return 'predict';
  if (url.startsWith('/v1/samples')) return 'samples';
  return undefined;
}
