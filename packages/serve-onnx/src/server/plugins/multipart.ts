import multipart from '@fastify/multipart';
import type { HcrFastify } from '../types.js';

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
      fields: 16,
      fieldSize: 64 * 1024,
      parts: limits.maxImagesPerRequest + 16,
    },
  });
  // Callback style: an async hook would cost a promise on every request, multipart or not.
  app.addHook('preHandler', (req, _reply, done) => {
    if (req.isMultipart() && req.body && typeof req.body === 'object') {
      const { image, images, ...fields } = req.body as Record<string, unknown>;
      const files = [image, images].flat().filter((f) => f !== undefined);
      req.body =
        files.length === 1 && image !== undefined && !Array.isArray(image)
          ? { ...fields, image }
          : { ...fields, images: files };
    }
    done();
  });
}
