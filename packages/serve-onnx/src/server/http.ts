import { HcrError } from '@hcr/core';
import { IMAGE_CONTENT_TYPES } from '@hcr/image/decode';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RecognizerInput } from '../recognizer.js';

/** HTTP status for an HcrError code: input problems are the client's (4xx), model problems are ours. */
export function statusFor(e: HcrError): number {
  if (e.code === 'IMAGE_TOO_LARGE' || e.code === 'IMAGE_UNDECODABLE') return 400;
  // DECODE_INPUT_INVALID: the model's own output is not probabilities (requests send images, never frames)
  if (e.code.startsWith('MODEL_') || e.code === 'DECODE_INPUT_INVALID') return 500;
  // CLOSED: the recogniser or reader given to buildApp was closed under the server (not the request's fault)
  // INFERENCE_THREAD_FAILED: onnxruntime's thread stopped under the request; the next request starts a new one
  if (
    ['OVERLOADED', 'TIMEOUT', 'SHUTTING_DOWN', 'CANCELLED', 'CLOSED', 'INFERENCE_THREAD_FAILED'].includes(
      e.code,
    )
  )
    return 503;
  if (e.code === 'UNSUPPORTED_MEDIA_TYPE') return 415;
  if (e.code === 'RATE_LIMITED') return 429;
  // the collecting folder holds all the examples it may (--collect-max): the server cannot store this one
  if (e.code === 'COLLECT_FULL') return 507;
  return 400;
}

/**
 * Whether a request is for the API (a /v1/ route), by the route it matched: the raw URL can spell the same route
 * otherwise (`/%761/read` is routed to /v1/read), so a check of `req.url` alone could be walked around. A
 * request that matched no route is judged by its decoded path.
 */
export function isApiRequest(req: FastifyRequest): boolean {
  const route = req.routeOptions.url;
  if (route !== undefined) return route.startsWith('/v1/');
  const path = req.url.split('?')[0]!;
  try {
    return decodeURIComponent(path).startsWith('/v1/');
  } catch {
    return path.startsWith('/v1/');
  }
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, hint?: string) {
  // for the request's log line and the errors metric (lifecycle plugin)
  (reply.request as { errorCode?: string }).errorCode = code;
  return reply
    .code(status)
    .type('application/json')
    .send({ error: { code, message, ...(hint ? { hint } : {}) } });
}

/** How to send characters to POST /v1/predict. */
export const JSON_HINT = `Send the image itself (content-type ${IMAGE_CONTENT_TYPES.join(', ')}), or JSON {"pixels": [784 numbers]} or {"images": ["<base64 image>", ...]}, with options top_k, classes, min_confidence, page as query parameters or JSON fields.`;

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export function parseTopK(raw: string | undefined, classes: number): number {
  if (raw === undefined || raw === '') return 5;
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 1 || k > classes)
    throw new HcrError('BAD_TOP_K', `top_k=${raw} is not an integer between 1 and ${classes}.`, {
      hint: 'Use e.g. ?top_k=5.',
    });
  return k;
}

/**
 * The images of a request: one binary image, or JSON {pixels} / {pixels: [[...]]} / {images: [base64]} /
 * {image: base64}, or a multipart form's files (bytes in `image` / `images`).
 */
export function parseBody(
  contentType: string | undefined,
  body: unknown,
  maxImages: number,
): RecognizerInput[] {
  if (Buffer.isBuffer(body)) return [{ image: body }];
  const jsonHint = JSON_HINT;
  if (body === undefined) throw noBody(jsonHint);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HcrError('BAD_JSON', `The JSON body must be an object (content-type ${contentType}).`, {
      hint: jsonHint,
    });
  const b = body as { pixels?: unknown; images?: unknown; image?: unknown };
  // one way of sending the images: a second one would be ignored without a word (/v1/read refuses it too)
  const given = (['pixels', 'images', 'image'] as const).filter((k) => b[k] !== undefined);
  if (given.length > 1)
    throw new HcrError('BAD_JSON', `The JSON body has both "${given[0]}" and "${given[1]}".`, {
      hint: jsonHint,
    });
  if (b.pixels !== undefined) {
    if (!Array.isArray(b.pixels))
      throw new HcrError('BAD_PIXELS', '"pixels" must be an array of 784 numbers.', { hint: jsonHint });
    const list = Array.isArray(b.pixels[0]) ? (b.pixels as unknown[]) : [b.pixels];
    checkCount(list.length, maxImages);
    return list.map((p, i) => {
      if (!Array.isArray(p))
        throw new HcrError('BAD_PIXELS', `pixels[${i}] is not an array of 784 numbers.`, { hint: jsonHint });
      return { pixels: p as number[] };
    });
  }
  if (b.images !== undefined) return base64Images(b.images, maxImages, jsonHint).map((image) => ({ image }));
  if (b.image !== undefined) return base64Images([b.image], 1, jsonHint).map((image) => ({ image }));
  throw new HcrError('BAD_JSON', 'The JSON body has neither "pixels" nor "images".', { hint: jsonHint });
}

/** A request with no body at all (`curl -X POST` with no data). */
export function noBody(hint: string): HcrError {
  return new HcrError('BAD_IMAGES', 'The request has no body: no image was sent.', { hint });
}

/**
 * `{"images": ["<base64>", ...]}` (data: URLs welcome) -> image bytes; uploaded files (bytes already) pass
 * as they are; anything else names the fix.
 */
export function base64Images(images: unknown, maxImages: number, hint: string): Buffer[] {
  if (!Array.isArray(images) || images.length === 0)
    throw new HcrError('BAD_IMAGES', '"images" must be a non-empty array of base64 strings.', { hint });
  checkCount(images.length, maxImages);
  return images.map((s, i) => {
    if (Buffer.isBuffer(s)) return s;
    if (typeof s !== 'string' || !/^[A-Za-z0-9+/=\s_-]*$/.test(s.replace(/^data:[^,]*,/, '')))
      throw new HcrError('BAD_IMAGES', `images[${i}] is not a base64 string.`, { hint });
    return Buffer.from(s.replace(/^data:[^,]*,/, ''), 'base64');
  });
}

export function checkCount(n: number, max: number) {
  if (n > max)
    throw new HcrError('TOO_MANY_IMAGES', `${n} images in one request; the limit is ${max}.`, {
      hint: 'Split the batch over several requests.',
    });
}

/** `p`, or a TIMEOUT HcrError after `ms` (one timer and one promise per call: it runs on every request). */
export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.();
      reject(
        new HcrError('TIMEOUT', `The request took longer than ${ms} ms to answer.`, {
          hint: 'The server is overloaded (retry later, or send fewer images or pages per request), or an image is that slow to decode (a PDF page of very many drawing operations: send it as PNG or JPEG). A server that reads many-page documents needs a longer --timeout-ms (and --prepare-workers).',
        }),
      );
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
