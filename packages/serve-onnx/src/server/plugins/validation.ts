import { HcrError } from '@hcr/core';
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifyRequest } from 'fastify';
import { PAGE_HINT } from '../pages.js';
import type { HcrFastify } from '../types.js';

/**
 * Query strings and form fields arrive as text, so their numbers are coerced ("5" -> 5); JSON bodies have
 * real types and are checked as sent (`"pattern": 7` is an error, not "7"). Schema defaults document the
 * handlers' defaults and are not inserted. Binary bodies (images) are bytes read by the content-type parsers.
 */
const textual = new Ajv({ coerceTypes: 'array', useDefaults: false, allErrors: false, strict: false });
const typed = new Ajv({ coerceTypes: false, useDefaults: false, allErrors: false, strict: false });
for (const ajv of [textual, typed]) ajv.addFormat('binary', true);

type Schema = Record<string, unknown>;

/** A multipart schema's file fields accept the uploaded bytes (Buffers), not strings. */
function forUploads(schema: Schema): Schema {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const isFile = (s: Schema) => s.format === 'binary' || (s.items as Schema | undefined)?.format === 'binary';
  return {
    ...schema,
    properties: Object.fromEntries(
      Object.entries(props).map(([k, s]) => [k, isFile(s) ? { description: s.description } : s]),
    ),
  };
}

export function registerValidation(app: HcrFastify): void {
  // Response schemas document the answers in /openapi.json; JSON.stringify writes them. fast-json-stringify
  // compiled from the predict schema cost 20-30 us more per request here (interleaved A/B runs at c=64).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setValidatorCompiler(({ schema, httpPart, contentType }) => {
    const s = schema as Schema;
    if (httpPart === 'body' && s.format === 'binary') return () => true;
    if (httpPart === 'body' && contentType === 'multipart/form-data') return textual.compile(forUploads(s));
    return (httpPart === 'body' ? typed : textual).compile(s);
  });
}

/** What each request field's schema error means, in the service's error codes. */
const FIELD_CODES: Record<string, string> = {
  top_k: 'BAD_TOP_K',
  min_confidence: 'BAD_MIN_CONFIDENCE',
  beam: 'BAD_BEAM',
  columns: 'BAD_COLUMNS',
  page: 'BAD_PAGE',
  pixels: 'BAD_PIXELS',
  images: 'BAD_IMAGES',
  image: 'BAD_IMAGES',
};
const FIELD_HINTS: Record<string, string> = {
  BAD_TOP_K: "Use e.g. top_k=5 (GET /openapi.json lists each route's range).",
  BAD_BEAM: 'Use beam=1..64 (1 = best path).',
  BAD_COLUMNS:
    'Use columns=true (the default: columns one after another) or columns=false (rows across the image), with layout=lines.',
  BAD_MIN_CONFIDENCE:
    'Use a probability from 0 to 1, e.g. min_confidence=0.8 (default 0.5; 0 always answers).',
  BAD_PAGE: PAGE_HINT,
  TOO_MANY_IMAGES: 'Split the batch over several requests.',
};

/**
 * A schema violation as an HcrError naming the field, its value and the rule (e.g. `top_k=0 must be >= 1`),
 * with the route's body hint (`config.bodyHint`) where no field-specific hint fits.
 */
export function validationError(
  errors: readonly Pick<ErrorObject, 'instancePath' | 'keyword' | 'params' | 'message'>[],
  part: string | undefined,
  req: FastifyRequest,
): HcrError {
  const e = errors[0]!;
  const bodyHint = req.routeOptions.config.bodyHint;
  const where = part === 'querystring' ? 'query' : 'body';
  const field = e.instancePath.split('/')[1] ?? '';
  if (!field) {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    const problem = extra
      ? `Unknown field ${extra} in the ${where}.`
      : missing
        ? `The ${where} has no "${missing}" field.`
        : `The ${where} ${e.message}.`;
    const code =
      missing === 'image' || missing === 'images'
        ? 'BAD_IMAGES'
        : part === 'body'
          ? 'BAD_JSON'
          : 'BAD_OPTION';
    return new HcrError(code, problem, { hint: bodyHint });
  }
  const code =
    field === 'images' && e.keyword === 'maxItems' ? 'TOO_MANY_IMAGES' : (FIELD_CODES[field] ?? 'BAD_OPTION');
  const value = valueAt(part === 'querystring' ? req.query : req.body, field);
  const shown = typeof value === 'string' ? value : Buffer.isBuffer(value) ? '<file>' : JSON.stringify(value);
  const what = field === 'images' && Array.isArray(value) ? `${value.length} images` : `${field}=${shown}`;
  const rule = e.instancePath.split('/').length > 2 ? `${e.instancePath.slice(1)} ${e.message}` : e.message;
  return new HcrError(code, `${what}: ${rule}.`, { hint: FIELD_HINTS[code] ?? bodyHint });
}

function valueAt(container: unknown, field: string): unknown {
  return container && typeof container === 'object'
    ? (container as Record<string, unknown>)[field]
    : undefined;
}
