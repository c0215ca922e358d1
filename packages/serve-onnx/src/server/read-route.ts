import type { IncomingMessage, ServerResponse } from 'node:http';
import { HcrError } from '@hcr/core';
import type { PreparedLine } from '@hcr/image/decode';
import { documentPages, IMAGE_CONTENT_TYPES } from '@hcr/image/decode';
import type { FastifyInstance, FastifyReply, RawServerDefault } from 'fastify';
import type { Logger } from 'pino';
import { readMinConfidence } from '../classes.js';
import { joinLines, type LineReader, type LineReading } from '../reader/line-reader.js';
import { patternCaseNote } from '../reader/pattern-note.js';
import type { ReadOptions } from '../reader/read-options.js';
import { judgePage, judgeReading } from '../reader/verdict.js';
import { type BatcherOptions, MicroBatcher } from './batcher.js';
import { base64Images, noBody, round, sendError, withTimeout } from './http.js';
import type { Metrics } from './metrics.js';
import { type PageOf, pagePlacement, pagesToRead, parsePages } from './pages.js';
import { readSchema } from './schemas.js';

export interface ReadRouteOptions {
  /** The line reader; without one, POST /v1/read answers 404 NO_READER saying how to get one. */
  reader?: LineReader;
  limits: { maxInputPixels: number; maxImagesPerRequest: number; timeoutMs: number };
  /** Micro-batching of lines (each batch is split into width buckets by the reader); false = none. */
  batching: BatcherOptions | false;
  metrics: Metrics;
}

export const READ_JSON_HINT = `Send the image itself (content-type ${IMAGE_CONTENT_TYPES.join(', ')}), or JSON {"image": "<base64>"} or {"images": ["<base64>", ...]}, with options classes, pattern, lexicon, lm, top_k, beam, min_confidence, layout, columns, page as query parameters or JSON fields.`;

/** `line`: the image is one line, word or field; `lines`: read every line of writing in it, in reading order. */
export type ReadLayout = 'line' | 'lines';

const NO_READER_HINT =
  'Start hcr serve with --reader <model.onnx> (after `pnpm turbo run train eval`, it is artifacts/model/reader/model.onnx, which hcr serve loads by itself).';

/** One line's answer; `input` (the 32-px line the model saw) only with ?debug=1. */
export type ReadAnswer = LineReading & {
  input?: { width: number; height: number; pixels: number[] };
};

/**
 * POST /v1/read: one image of a line, word or field (or a JSON batch) -> text, confidence per character and
 * for the whole, and alternatives, under the asked constraints. Returns the batcher (for /metrics and
 * /v1/model) or undefined when there is no reader.
 */
export function registerReadRoute(
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>,
  opts: ReadRouteOptions,
) {
  const { reader, limits, metrics } = opts;
  const onBatch = (size: number, seconds: number) => {
    metrics.readerBatchSize.observe(size);
    metrics.readerInference.observe(seconds);
  };
  const batcher =
    reader && opts.batching
      ? new MicroBatcher<PreparedLine, Float32Array>((lines) => reader.infer(lines), opts.batching, onBatch)
      : undefined;
  const infer = async (lines: PreparedLine[]): Promise<Float32Array[]> => {
    if (batcher) return batcher.submit(lines);
    const t0 = performance.now();
    const out = await reader!.infer(lines);
    onBatch(lines.length, (performance.now() - t0) / 1000);
    return out;
  };

  const schema = readSchema(limits.maxImagesPerRequest);
  app.post('/v1/read', { schema, config: { bodyHint: READ_JSON_HINT } }, async (req, reply: FastifyReply) => {
    if (!reader)
      return sendError(reply, 404, 'NO_READER', 'This server has no line reader loaded.', NO_READER_HINT);
    const t0 = performance.now();
    const query = req.query as Record<string, unknown>;
    const { images, fields, single } = parseReadBody(req.body, limits.maxImagesPerRequest);
    const options = readOptions({ ...query, ...fields });
    reader.check(options); // 400 before any image is decoded
    // A reader that writes some lower-case letters as capitals reads them so in a pattern: said in the answer.
    const note = options.pattern
      ? patternCaseNote(options.pattern, reader.info.id, reader.info.alphabet)
      : undefined;
    const layout = readLayout(fields.layout ?? query.layout);
    // Validated (and coerced from a query string) by the route's schema: a boolean or absent.
    const columnsAsked = fields.columns ?? query.columns;
    // Columns are how a page's lines are ordered: asked of one line, they would be dropped in silence.
    if (columnsAsked !== undefined && layout !== 'lines')
      throw new HcrError('BAD_COLUMNS', `columns=${columnsAsked} applies only with layout=lines.`, {
        hint: 'Add layout=lines to read every line of the image (columns=false: rows across the page), or leave columns out.',
      });
    const columns = columnsAsked !== false;
    const pageChoice = parsePages(fields.page ?? query.page);
    const debug = query.debug === '1' || query.debug === 'true';
    const withInput = (line: PreparedLine) =>
      debug ? { input: { width: line.width, height: line.height, pixels: Array.from(line.pixels) } } : {};
    // A problem of one image or page of several is named by which it is.
    const named = (item: PageOf<Uint8Array>) => (e: unknown) => {
      if (!(e instanceof HcrError) || (single && !pageChoice.several)) throw e;
      const which = [single ? '' : `images[${item.index}]`, pageChoice.several ? `page ${item.page}` : '']
        .filter(Boolean)
        .join(' ');
      throw e.naming(which);
    };
    // Given up when the request times out or its client leaves: pages not yet begun are then dropped.
    const gone = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    const work = (async () => {
      const items = await pagesToRead(images, pageChoice, limits.maxImagesPerRequest, documentPages);
      // Each image's (or page's) lines: one with layout=line, every line of writing in it with layout=lines.
      const pages = await Promise.all(
        items.map((item) => {
          const { input: image, page } = item;
          return (
            layout === 'lines'
              ? reader.prepareLines(
                  image,
                  { maxInputPixels: limits.maxInputPixels, columns, page },
                  gone.signal,
                )
              : reader
                  .prepare(image, { maxInputPixels: limits.maxInputPixels, page }, gone.signal)
                  .then((line) => [line])
          ).catch(named(item));
        }),
      );
      const t1 = performance.now();
      const probs = await infer(pages.flat());
      const t2 = performance.now();
      // in the reader's thread when it has one (hcr serve --reader-thread): the HTTP thread runs no beam search
      const decoded = await reader.decodeAll(probs, options);
      let k = 0;
      const readings = pages.map((lines, i) => {
        const read = lines.map((line) => ({
          ...decoded[k++]!,
          box: line.box,
          skew: line.skew,
          ...withInput(line),
        })) satisfies ReadAnswer[];
        const reading =
          layout === 'lines'
            ? judgePage(joinLines(read), options.minConfidence)
            : judgeReading(read[0]!, options.minConfidence);
        return { ...pagePlacement(items[i]!, pageChoice, images.length), ...reading };
      });
      metrics.lines.inc(k);
      // One verdict per image read (a page's as a whole), when the caller asked for them.
      for (const r of readings) if (r.verdict) metrics.readVerdicts.inc({ verdict: r.verdict });
      for (const r of readings) metrics.readConfidence.observe(r.confidence);
      const timing = {
        preprocessMs: round(t1 - t0),
        inferenceMs: round(t2 - t1),
        totalMs: round(performance.now() - t0),
      };
      const head = {
        model: reader.info.id,
        ...(layout === 'lines' ? { layout } : {}),
        ...(note ? { note } : {}),
      };
      return single && !pageChoice.several
        ? { ...head, ...readings[0]!, timing }
        : { ...head, readings, timing };
    })();
    return reply.send(await withTimeout(work, limits.timeoutMs, () => gone.abort()));
  });

  return batcher;
}

/** The option fields of a query string or JSON body (top_k and beam as numbers or numeric strings). */
function readOptions(raw: Record<string, unknown>): ReadOptions {
  const str = (name: string): string | undefined => {
    const v = raw[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string')
      throw new HcrError('BAD_OPTION', `${name} must be a string, got ${JSON.stringify(v)}.`, {
        hint: READ_JSON_HINT,
      });
    return v;
  };
  const int = (name: string, code: string, range: string): number | undefined => {
    const v = raw[name];
    if (v === undefined || v === null || v === '') return undefined;
    const n =
      typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n))
      throw new HcrError(code, `${name}=${JSON.stringify(v)} is not a whole number.`, {
        hint: `Use ${name}=${range}.`,
      });
    return n;
  };
  return {
    classes: str('classes'),
    pattern: str('pattern'),
    lexicon: str('lexicon'),
    lm: str('lm'),
    topK: int('top_k', 'BAD_TOP_K', '1..20 (alternatives to return)'),
    beam: int('beam', 'BAD_BEAM', '1..64 (1 = best path)'),
    minConfidence: readMinConfidence(raw.min_confidence),
  };
}

/** `layout` from a query string or body: `line` (the default) or `lines`, else BAD_LAYOUT naming both. */
function readLayout(v: unknown): ReadLayout {
  if (v === undefined || v === null || v === '' || v === 'line') return 'line';
  if (v === 'lines') return 'lines';
  throw new HcrError('BAD_LAYOUT', `layout=${JSON.stringify(v)} is not a layout.`, {
    hint: 'Use layout=line (the image is one line, word or field; the default) or layout=lines (read every line of writing in it, in reading order: top to bottom, columns one after another).',
  });
}

const OPTION_FIELDS = [
  'classes',
  'pattern',
  'lexicon',
  'lm',
  'top_k',
  'beam',
  'min_confidence',
  'layout',
  'columns',
  'page',
] as const;

/** A raw image body, or JSON {image} / {images} with option fields beside them. */
function parseReadBody(
  body: unknown,
  maxImages: number,
): { images: Uint8Array[]; fields: Record<string, unknown>; single: boolean } {
  if (Buffer.isBuffer(body)) return { images: [body], fields: {}, single: true };
  if (body === undefined) throw noBody(READ_JSON_HINT);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HcrError('BAD_JSON', 'The JSON body must be an object.', { hint: READ_JSON_HINT });
  const b = body as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  // Fields the route does not take never get here: its JSON and form schemas refuse them (unknownField).
  for (const k of OPTION_FIELDS) if (b[k] !== undefined) fields[k] = b[k];
  if (b.image !== undefined && b.images !== undefined)
    throw new HcrError('BAD_JSON', 'The JSON body has both "image" and "images".', { hint: READ_JSON_HINT });
  if (b.image !== undefined)
    return { images: base64Images([b.image], 1, READ_JSON_HINT), fields, single: true };
  if (b.images !== undefined)
    return { images: base64Images(b.images, maxImages, READ_JSON_HINT), fields, single: false };
  throw new HcrError('BAD_JSON', 'The JSON body has neither "image" nor "images".', { hint: READ_JSON_HINT });
}
