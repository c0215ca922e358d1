import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Confidence buckets: fine near 1, where most readings of familiar images land and where thresholds are set. */
const CONFIDENCE_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

/** Prometheus metrics of one server (its own registry, so tests can run several servers). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hcr_' });
  return {
    registry,
    requests: new Counter({
      name: 'hcr_http_requests_total',
      help: 'HTTP requests by route, method and status code',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'hcr_http_errors_total',
      help: 'HTTP requests answered with an error, by route and error code (TIMEOUT, OVERLOADED, BAD_IMAGE, ...)',
      labelNames: ['route', 'code'] as const,
      registers: [registry],
    }),
    // one series per API client of the token file (a handful): who uses the service, and who is refused
    clientRequests: new Counter({
      name: 'hcr_client_requests_total',
      help: 'API requests by client (the name of the API token they carried) and status code',
      labelNames: ['client', 'status'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'hcr_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['route'] as const,
      // up to the longest request timeout a server is likely given: a read of many pages takes seconds
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    images: new Counter({
      name: 'hcr_images_total',
      help: 'Images recognised',
      registers: [registry],
    }),
    lines: new Counter({
      name: 'hcr_lines_total',
      help: 'Lines read (POST /v1/read)',
      registers: [registry],
    }),
    readVerdicts: new Counter({
      name: 'hcr_read_verdicts_total',
      help: 'Readings given a verdict under min_confidence (POST /v1/read), by verdict: the not-confident ones go to a person',
      labelNames: ['verdict'] as const,
      registers: [registry],
    }),
    // A distribution that moves while the model stays the same means the images did (another scanner, another
    // form, another writing): the first sign of drift, before anyone counts errors by hand.
    readConfidence: new Histogram({
      name: 'hcr_read_confidence',
      help: 'Confidence of each reading of POST /v1/read (p(text | image) under the constraints asked for; a page of layout=lines once, as a whole; 0 when no text satisfies them)',
      buckets: CONFIDENCE_BUCKETS,
      registers: [registry],
    }),
    predictConfidence: new Histogram({
      name: 'hcr_predict_confidence',
      help: 'Confidence of each character prediction of POST /v1/predict (its best allowed class; images with no character are not counted)',
      buckets: CONFIDENCE_BUCKETS,
      registers: [registry],
    }),
    readerBatchSize: new Histogram({
      name: 'hcr_reader_batch_size',
      help: 'Lines per micro-batch of the line reader (split into width buckets inside)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    readerInference: new Histogram({
      name: 'hcr_reader_inference_duration_seconds',
      help: 'Duration of one line-reader micro-batch (all its width buckets)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'hcr_inference_batch_size',
      help: 'Images per onnxruntime run (micro-batching)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    inference: new Histogram({
      name: 'hcr_inference_duration_seconds',
      help: 'Duration of one onnxruntime run',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers: [registry],
    }),
    queue: new Gauge({
      name: 'hcr_inference_queue_images',
      help: 'Images waiting for the model',
      registers: [registry],
    }),
    preparing: new Gauge({
      name: 'hcr_prepare_queue_tasks',
      help: 'Images and document pages in the preparation workers (decoding, line finding), waiting or in hand, by model',
      labelNames: ['model'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
