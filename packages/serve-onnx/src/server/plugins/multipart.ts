import multipart from '@fastify/multipart';
import { HcrError } from '@hcr/core';
import type { FastifyRequest } from 'fastify';
import type { HcrFastify } from '../types.js';
import { FORM_HINT } from './validation.js';

/** Option fields a form may have beside its files (more is BAD_FORM naming this limit). */
export const FORM_FIELDS_LIMIT = 16;

/** Multipart requests whose form was read whole (the hook below ran): their later errors are not the form's. */
const formsRead = new WeakSet<FastifyRequest>();

/**
 * An error of a multipart request raised before its form was read whole, with no HTTP status of its own: the
 * form parser's (busboy: "Unexpected end of multipart data", "Boundary not found"), so the client's to mend.
 */
export function isUnreadableForm(req: FastifyRequest, err: { statusCode?: number }): boolean {
  return req.isMultipart() && !formsRead.has(req) && err.statusCode === undefined;
}

/**
 * multipart/form-data uploads (HTML forms, `curl -F image=@x.png`). Files arrive as bytes and fields as
 * text (validated by each route's multipart schema); afterwards the body takes the shape of the JSON body,
 * `{image: <bytes>}` for one file named image or `{images: [<bytes>, ...]}`, with the other fields beside it,
 * so the routes read both alike.
 */
export async function registerMultipart(
  app: HcrFastify,
  limits: { bodyLimit: number; maxImagesPerRequest: number },
): Promise<void> {
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: {
      fileSize: limits.bodyLimit,
      files: limits.maxImagesPerRequest,
      fields: FORM_FIELDS_LIMIT,
      fieldSize: 64 * 1024,
      parts: limits.maxImagesPerRequest + FORM_FIELDS_LIMIT,
    },
  });
  // Callback style: an async hook would cost a promise on every request, multipart or not.
  app.addHook('preHandler', (req, _reply, done) => {
    if (req.isMultipart()) formsRead.add(req);
    if (req.isMultipart() && req.body && typeof req.body === 'object') {
      const { image, images, ...fields } = req.body as Record<string, unknown>;
      const files = [image, images].flat().filter((f) => f !== undefined);
      if (files.length === 0)
        return done(new HcrError('BAD_IMAGES', 'The form has no image file.', { hint: FORM_HINT }));
      req.body =
        files.length === 1 && image !== undefined && !Array.isArray(image)
          ? { ...fields, image }
          : { ...fields, images: files };
    }
    done();
  });
}
