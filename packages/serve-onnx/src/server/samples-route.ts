import { HcrError } from '@hcr/core';
import type { SampleStore } from '../samples/store.js';
import { SAMPLE_CONTENT_TYPES } from './hints.js';
import { base64Images, noBody, sendError } from './http.js';
import { samplesSchema } from './schemas.js';
import type { HcrFastify } from './types.js';

export const SAMPLES_HINT = `Send the image of the line (content-type ${SAMPLE_CONTENT_TYPES.join(', ')}) with ?text=<what is written>, or JSON {"image": "<base64>", "text": "..."}.`;

const NOT_COLLECTING_HINT =
  'Start hcr serve with --collect <folder> to keep corrected examples there (then `hcr finetune <folder>`).';

/**
 * POST /v1/samples: one image of a line and the text written in it (the reader's reading, corrected) -> a row of
 * the collecting folder's labels.tsv, to fine-tune the reader on later (`hcr finetune <folder>`). 404 unless the
 * server collects.
 */
export function registerSamplesRoute(app: HcrFastify, store: SampleStore | undefined): void {
  app.post(
    '/v1/samples',
    { schema: samplesSchema, config: { bodyHint: SAMPLES_HINT } },
    async (req, reply) => {
      if (!store)
        return sendError(
          reply,
          404,
          'NOT_COLLECTING',
          'This server does not collect examples.',
          NOT_COLLECTING_HINT,
        );
      const query = req.query as { text?: string };
      const { image, text } = sampleBody(req.body, query.text);
      const added = await store.add(image, text);
      // logged with the client that sent it: whose examples a folder holds can be found, and dropped
      req.sample = added.file;
      return reply.code(201).send(added);
    },
  );
}

/** The image and its text from a raw image body (text in the query), JSON or a form. */
function sampleBody(body: unknown, queryText: string | undefined): { image: Uint8Array; text: string } {
  if (body === undefined) throw noBody(SAMPLES_HINT);
  const fields = Buffer.isBuffer(body)
    ? { image: body }
    : (body as { image?: unknown; images?: unknown[]; text?: unknown });
  // a form's files arrive as `images` when there are several (plugins/multipart.ts)
  if (Array.isArray(fields.images))
    throw new HcrError(
      'TOO_MANY_IMAGES',
      `One example is one image of a line; the form has ${fields.images.length}.`,
      { hint: `Send each example in a request of its own. ${SAMPLES_HINT}` },
    );
  if (fields.image === undefined)
    throw new HcrError('BAD_IMAGES', 'The request has no "image".', { hint: SAMPLES_HINT });
  const [image] = base64Images([fields.image], 1, SAMPLES_HINT);
  // the body's text wins over the query's, as the other routes' options do
  const text = typeof fields.text === 'string' ? fields.text : queryText;
  if (text === undefined)
    throw new HcrError('SAMPLE_TEXT_EMPTY', 'The request has no "text": what is written in the image.', {
      hint: SAMPLES_HINT,
    });
  return { image: image!, text };
}
