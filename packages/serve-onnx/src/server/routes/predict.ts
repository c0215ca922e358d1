import type { PreparedCharacter } from '@hcr/image';
import { documentPages } from '@hcr/image/decode';
import { allowedClasses, type Prediction, parseMinConfidence } from '../../classes.js';
import { imageBytes, type Recognizer } from '../../recognizer.js';
import { JSON_HINT, parseBody, parseTopK, round, withTimeout } from '../http.js';
import type { CharacterInference } from '../inference.js';
import type { Metrics } from '../metrics.js';
import { pagePlacement, pagesToRead, parsePages } from '../pages.js';
import { predictSchema } from '../schemas.js';
import type { HcrFastify } from '../types.js';

export interface PredictRouteOptions {
  recognizer: Recognizer;
  inference: CharacterInference;
  limits: { maxInputPixels: number; maxImagesPerRequest: number; timeoutMs: number };
  metrics: Metrics;
}

/**
 * POST /v1/predict: character images (binary or JSON) -> ranked classes and an answer per image (`answer`
 * null with a `verdict` when there is no confident answer or the image is not one character), with timing.
 */
export function registerPredictRoute(app: HcrFastify, opts: PredictRouteOptions): void {
  const { recognizer: rec, inference, limits, metrics } = opts;
  const schema = predictSchema(rec.info.classNames.length, limits.maxImagesPerRequest);
  app.post('/v1/predict', { schema, config: { bodyHint: JSON_HINT } }, async (req, reply) => {
    const t0 = performance.now();
    // Options come from the query string, or from the fields of a multipart form or JSON body (which win).
    const query = (
      req.isMultipart() ? { ...(req.query as object), ...formFields(req.body) } : req.query
    ) as Record<string, string | undefined>;
    // A JSON body's options win over the query string's, as a form's do.
    const option = (name: string) => jsonField(req.body, name) ?? query[name];
    const topKAsked = option('top_k');
    const topK = parseTopK(
      topKAsked === undefined ? undefined : String(topKAsked),
      rec.info.classNames.length,
    );
    const classes = option('classes') as string | undefined;
    const debug = query.debug === '1' || query.debug === 'true';
    allowedClasses(classes, rec.info.classNames); // 400 before any work
    const minConfidence = parseMinConfidence(option('min_confidence'));
    const pageChoice = parsePages(option('page'));
    const inputs = parseBody(req.headers['content-type'], req.body, limits.maxImagesPerRequest);
    const work = (async () => {
      let prepared: PreparedCharacter[] = [];
      let t1 = 0;
      // Pixels are one page; an image file has its own count.
      const items = await pagesToRead(inputs, pageChoice, limits.maxImagesPerRequest, (x) => {
        const bytes = imageBytes(x);
        return bytes ? documentPages(bytes) : 1;
      });
      const pixels = Promise.all(
        items.map(({ input, page }) => rec.prepare(input, { maxInputPixels: limits.maxInputPixels, page })),
      ).then((p) => {
        prepared = p;
        t1 = performance.now();
        return p.map((x) => x.pixels);
      });
      // Announced before preparation ends, so concurrent requests can share one onnxruntime run.
      const probs = await inference.inferWhenReady(items.length, pixels);
      const t2 = performance.now();
      const predictions: (Prediction & { input?: number[]; page?: number })[] = probs.map((p, i) => {
        const pred = {
          ...rec.rank(p, 0, {
            topK,
            classes,
            minConfidence,
            prepared: prepared[i],
            lineReader: 'POST /v1/read',
          }),
          ...pagePlacement(items[i]!, pageChoice, inputs.length),
        };
        // ?debug=1: the canonical 28x28 the model saw, to show what preprocessing did.
        return debug ? { ...pred, input: Array.from(prepared[i]!.pixels) } : pred;
      });
      metrics.images.inc(predictions.length);
      for (const p of predictions) if (p.label !== null) metrics.predictConfidence.observe(p.confidence);
      return {
        model: rec.info.id,
        predictions,
        timing: {
          preprocessMs: round(t1 - t0),
          inferenceMs: round(t2 - t1),
          totalMs: round(performance.now() - t0),
        },
      };
    })();
    return reply.send(await withTimeout(work, limits.timeoutMs));
  });
}

/** A field of a JSON body (image bodies are bytes: nothing there). */
function jsonField(body: unknown, name: string): unknown {
  return body && typeof body === 'object' && !Buffer.isBuffer(body)
    ? (body as Record<string, unknown>)[name]
    : undefined;
}

/** The option fields of a multipart form (the files are the images). */
function formFields(body: unknown): Record<string, unknown> {
  const { image: _image, images: _images, ...fields } = (body ?? {}) as Record<string, unknown>;
  return fields;
}
