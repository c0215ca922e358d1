import { HcrError } from '@hcr/core';
import { IMAGE_CONTENT_TYPES } from '@hcr/image/decode';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OverloadedError } from '../batcher.js';
import { httpHint, routeOf } from '../hints.js';
import { JSON_HINT, sendError, statusFor } from '../http.js';
import type { HcrFastify } from '../types.js';
import { FORM_FIELDS_LIMIT, isUnreadableForm } from './multipart.js';
import { FORM_HINT, validationError } from './validation.js';

/** Every error leaves as {error: {code, message, hint}} with the status it deserves; unknown routes too. */
export function registerErrors(
  app: HcrFastify,
  limits: { bodyLimit: number; maxImagesPerRequest: number },
): void {
  app.setErrorHandler((err: FastifyError | HcrError | OverloadedError, req, reply) => {
    // by the route matched: the raw URL can spell it otherwise (`/%761/samples`)
    const route = routeOf(req.routeOptions.url ?? req.url);
    if ('validation' in err && err.validation)
      err = validationError(err.validation, err.validationContext, req);
    if (err instanceof HcrError)
      return sendError(reply, statusFor(err), err.code, err.problem, httpHint(err, route));
    if (err instanceof OverloadedError)
      return sendError(
        reply.header('retry-after', '1'),
        503,
        'OVERLOADED',
        err.message,
        'Retry in a second.',
      );
    if (err.code === 'FST_FILES_LIMIT')
      return sendError(
        reply,
        400,
        'TOO_MANY_IMAGES',
        `The form has more than ${limits.maxImagesPerRequest} files; the limit is ${limits.maxImagesPerRequest} per request.`,
        'Split the batch over several requests.',
      );
    // the form parser's own words ("reach fields limit") do not say the limit
    if (err.code === 'FST_FIELDS_LIMIT' || err.code === 'FST_PARTS_LIMIT')
      return sendError(
        reply,
        400,
        'BAD_FORM',
        err.code === 'FST_FIELDS_LIMIT'
          ? `The form has more than ${FORM_FIELDS_LIMIT} fields besides its files; the limit is ${FORM_FIELDS_LIMIT}.`
          : `The form has more than ${limits.maxImagesPerRequest + FORM_FIELDS_LIMIT} parts; the limit is ${limits.maxImagesPerRequest} files and ${FORM_FIELDS_LIMIT} fields.`,
        FORM_HINT,
      );
    if (err.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || isUnreadableForm(req, err))
      return sendError(
        reply,
        400,
        'BAD_FORM',
        `The multipart form cannot be read (${err.message}).`,
        FORM_HINT,
      );
    const status = err.statusCode ?? 500;
    if (status === 413)
      return sendError(
        reply,
        413,
        'BODY_TOO_LARGE',
        `The request body is over the limit of ${limits.bodyLimit} bytes.`,
        `Send a smaller image (a crop of the ${route === 'read' ? 'line or field' : route === 'samples' ? 'line' : 'character'}, or a JPEG instead of a PNG scan), or fewer images per request; a server for large scans takes --body-limit.`,
      );
    if (status === 415)
      return sendError(
        reply,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${req.headers['content-type'] ?? '(none)'} is not accepted.`,
        req.routeOptions.config?.bodyHint ??
          `Send ${IMAGE_CONTENT_TYPES.join(', ')} (or application/octet-stream), or application/json with {"images": [...]}.`,
      );
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return sendError(
        reply,
        400,
        'BAD_JSON',
        `The body is not valid JSON (${err.message}).`,
        req.routeOptions.config?.bodyHint ?? JSON_HINT,
      );
    if (status < 500) return sendError(reply, status, err.code ?? 'BAD_REQUEST', err.message);
    req.log.error({ err }, 'unexpected error');
    return sendError(reply, 500, 'INTERNAL', 'Internal error while handling the request.');
  });
  app.setNotFoundHandler((req, reply) => {
    // A route that exists under another method (GET /v1/read) is 405 naming the methods it takes.
    const url = req.url.split('?')[0]!;
    const allowed = (['GET', 'POST'] as const).filter((method) => app.hasRoute({ method, url }));
    if (allowed.length)
      return sendError(
        reply.header('allow', allowed.join(', ')),
        405,
        'METHOD_NOT_ALLOWED',
        `${req.method} ${url} is not served; ${url} takes ${allowed.join(' or ')}.`,
        allowed.includes('POST') ? `Send the image with ${allowed.join(' or ')} ${url}.` : undefined,
      );
    return sendError(
      reply,
      404,
      'NOT_FOUND',
      `No route ${req.method} ${req.url}.`,
      'See GET /, POST /v1/predict and POST /v1/read.',
    );
  });
}

/**
 * Fastify's `frameworkErrors`: a request it refuses before any route or hook (a malformed percent-encoded URL,
 * `/%` or `/v1/%E0%A4%A`), answered in the service's error shape rather than fastify's own.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_BAD_URL')
    sendError(
      reply,
      400,
      'BAD_URL',
      `The URL ${shortened(req.raw.url ?? '', 100)} is not valid: a % must begin a percent-encoded UTF-8 character (%20, %C3%A9).`,
      'Percent-encode the path and query (encodeURIComponent; a literal % is %25).',
    );
  else if ((err.statusCode ?? 500) < 500) sendError(reply, err.statusCode!, 'BAD_REQUEST', err.message);
  else {
    req.log.error({ err }, 'unexpected error');
    sendError(reply, 500, 'INTERNAL', 'Internal error while handling the request.');
  }
}

function shortened(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
