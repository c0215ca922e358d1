import { HcrError } from '@hcr/core';
import { Ajv, type ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import type { FastifyError, FastifyRequest } from 'fastify';
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
  // fastify's JSON parser refuses a "__proto__" key (or constructor.prototype), rightly, but as "not valid JSON":
  // the same parser, with a refusal of valid JSON that names the key
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    parseJson(req, body as string, (err, value) => {
      const key = err ? forbiddenKey(body as string) : undefined;
      if (key)
        return done(
          new HcrError('BAD_JSON', `"${key}" is not allowed as a key in a JSON body.`, {
            hint: 'Leave it out: it could change the prototype of objects on the server.',
          }),
          undefined,
        );
      done(err as FastifyError | null, value);
    }),
  );
}

/**
 * The key a parsable JSON body was refused for (`__proto__`, `constructor.prototype`), else undefined. The
 * object is walked with a stack of its own: a body nested 10,000 deep must not overflow the call stack.
 */
function forbiddenKey(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const stack = [value];
  while (stack.length) {
    const v = stack.pop();
    if (!v || typeof v !== 'object') continue;
    if (Object.hasOwn(v, '__proto__')) return '__proto__';
    const ctor = (v as { constructor?: unknown }).constructor;
    if (
      Object.hasOwn(v, 'constructor') &&
      ctor &&
      typeof ctor === 'object' &&
      Object.hasOwn(ctor, 'prototype')
    )
      return 'constructor.prototype';
    for (const child of Object.values(v)) stack.push(child);
  }
  return undefined;
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
  const field = e.instancePath.split('/')[1] ?? '';
  if (!field) {
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    const form = part === 'body' && req.isMultipart();
    const where = part === 'querystring' ? 'query' : form ? 'form' : 'body';
    if (extra) return unknownField(extra, where, fieldsOf(req, part, form));
    if (form && (missing === 'image' || missing === 'images')) {
      // a file sent under another name (`-F file=@x.png`) is named, as /v1/read's schema (no image required) does
      const known = fieldsOf(req, part, form);
      const stray = Object.keys((req.body ?? {}) as object).find((k) => !known.includes(k));
      if (stray) return unknownField(stray, 'form', known);
      return new HcrError('BAD_IMAGES', 'The form has no image file.', { hint: FORM_HINT });
    }
    const problem = missing ? `The ${where} has no "${missing}" field.` : `The ${where} ${e.message}.`;
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
  const what =
    field === 'images' && Array.isArray(value) ? `${value.length} images` : `${field}=${shownValue(value)}`;
  const rule = e.instancePath.split('/').length > 2 ? `${e.instancePath.slice(1)} ${e.message}` : e.message;
  return new HcrError(code, `${what}: ${rule}.`, { hint: FIELD_HINTS[code] ?? bodyHint });
}

/** How to send a form: the file field is `image`, once or repeated. */
export const FORM_HINT =
  'Send the image as a file field named image (curl -F image=@x.png); repeat it for several.';

/**
 * A field the route does not take, named with the nearest one it does (`topk` -> top_k), and all of them: a
 * misspelt option must not be read as no option (`claases=digits` would read with no class at all).
 */
export function unknownField(name: string, where: 'query' | 'form' | 'body', known: string[]): HcrError {
  const spelt = name.toLowerCase().replace(/-/g, '_');
  const near = known.length ? closest(spelt, known) : undefined;
  const guess =
    near && distance(spelt, near) <= Math.max(2, name.length / 3) ? ` (did you mean ${near}?)` : '';
  const what = {
    query: `query parameter ${name}`,
    form: `field ${name} in the form`,
    body: `field ${name} in the JSON body`,
  }[where];
  const code = where === 'query' ? 'BAD_OPTION' : where === 'form' ? 'BAD_FORM' : 'BAD_JSON';
  return new HcrError(code, `Unknown ${what}${guess}.`, {
    hint: `This route takes: ${known.join(', ')}.${where === 'form' ? ` ${FORM_HINT}` : ''}`,
  });
}

/** The field names the route's schema lists for this part of the request (query, form or JSON body). */
function fieldsOf(req: FastifyRequest, part: string | undefined, form: boolean): string[] {
  const schema = req.routeOptions.schema as
    | { querystring?: Schema; body?: { content?: Record<string, { schema?: Schema }> } }
    | undefined;
  const s: Schema | undefined =
    part === 'querystring'
      ? schema?.querystring
      : schema?.body?.content?.[form ? 'multipart/form-data' : 'application/json']?.schema;
  return Object.keys((s?.properties ?? {}) as object);
}

/**
 * A value as sent, for a message: at most 60 characters, numbers as written (`Infinity`, which JSON.stringify
 * makes `null`), and nothing below the second level (`[[[array]]]`): JSON.stringify of a body nested 10,000
 * deep overflows the stack.
 */
function shownValue(value: unknown): string {
  const text = typeof value === 'string' ? value : brief(value, 2);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function brief(value: unknown, depth: number): string {
  if (Buffer.isBuffer(value)) return '<file>';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value))
    return depth > 0
      ? `[${value.slice(0, 8).map((v) => brief(v, depth - 1))}${value.length > 8 ? ',...' : ''}]`
      : '[array]';
  if (value && typeof value === 'object') {
    if (depth === 0) return '{object}';
    const entries = Object.entries(value);
    return `{${entries.slice(0, 8).map(([k, v]) => `${JSON.stringify(k)}:${brief(v, depth - 1)}`)}${entries.length > 8 ? ',...' : ''}}`;
  }
  return String(value);
}

function valueAt(container: unknown, field: string): unknown {
  return container && typeof container === 'object'
    ? (container as Record<string, unknown>)[field]
    : undefined;
}
