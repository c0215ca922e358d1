import { IMAGE_CONTENT_TYPES } from '@hcr/image/decode';
import type { HcrFastify } from '../types.js';

/** Bodies the service accepts: images (as raw bytes) and JSON; anything else is 415. */
export function registerContentTypes(app: HcrFastify, bodyLimit: number): void {
  app.removeContentTypeParser('text/plain');
  // image/jpg is a common misspelling; octet-stream bodies are sniffed (every format's signature).
  for (const type of [...IMAGE_CONTENT_TYPES, 'image/jpg', 'application/octet-stream'])
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
}
