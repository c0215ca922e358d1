import { IMAGE_CONTENT_TYPES, IMAGE_FORMATS_TEXT, PAGE_LIST_PATTERN } from '@hcr/image/decode';
import { VERDICTS } from '../classes.js';
import { DEFAULT_BEAM, DEFAULT_TOP_K, MAX_BEAM, MAX_TOP_K } from '../reader/read-options.js';

/**
 * The route schemas: Fastify validates requests with them (plugins/validation.ts) and @fastify/swagger turns
 * the same objects into /openapi.json. Checks that need the model (class names, patterns, lexicons) stay in
 * the handlers, which name the fix.
 */

/** Content types whose body is the image itself (the content-types plugin reads them as bytes). */
export const RAW_IMAGE_TYPES = [...IMAGE_CONTENT_TYPES, 'image/jpg', 'application/octet-stream'] as const;

const binary = { type: 'string', format: 'binary' } as const;
const rawImageBodies = (description: string) =>
  Object.fromEntries(RAW_IMAGE_TYPES.map((t) => [t, { schema: { ...binary, description } }]));

const debug = {
  type: 'string',
  description: '1 or true: add the input the model saw (`input`) to each answer.',
} as const;
const minConfidence = {
  type: 'number',
  minimum: 0,
  maximum: 1,
  description:
    'Answer only when the calibrated probability of the best class is at least this (default 0.5; 0 always answers). Below it `answer` is null and `verdict` is `not-confident`.',
} as const;
const classes = {
  type: 'string',
  description:
    'Allowed characters: all, digits, letters, alnum, uppercase, lowercase, or chars:<set> (e.g. chars:0123456789.,).',
} as const;

/** In JSON, whole numbers may also come as numeric strings (`"beam": "1"`), as in a query string. */
const orNumericString = ({ description, ...schema }: { description: string }) => ({
  description,
  anyOf: [schema, { type: 'string', pattern: '^\\s*-?\\d+\\s*$' }],
});

const pageDescription =
  "The page of a PDF or TIFF to read, from 1 (a file of several pages needs it: SEVERAL_PAGES otherwise; other images have one page); `all` for every page of each image, or a list such as `1-3,5`: then there is one answer per page read, each with its `page` (and `image`, its index, when several images were sent), at most the request's image limit in all.";
const page = { type: 'string', pattern: PAGE_LIST_PATTERN, description: pageDescription } as const;
/** In JSON, `page` may also be a number. */
const jsonPage = {
  description: pageDescription,
  anyOf: [{ type: 'integer' }, { type: 'string', pattern: PAGE_LIST_PATTERN }],
};
const placement = {
  page: { type: 'integer', description: 'With page=all or a list of pages: the page this answer read.' },
  image: {
    type: 'integer',
    description: 'With page=all or a list, when several images were sent: the index of the image read.',
  },
} as const;

const nullable = <T extends object>(schema: T) => ({ ...schema, nullable: true }) as const;
const rankedClass = {
  type: 'object',
  required: ['label', 'classIndex', 'confidence'],
  properties: {
    label: { type: 'string' },
    classIndex: { type: 'integer' },
    confidence: { type: 'number', description: 'Calibrated probability.' },
  },
} as const;

/** The answer of POST /v1/predict, as /openapi.json shows it to clients (JSON.stringify writes it: validation.ts). */
const predictResponse = {
  description: 'One prediction per image, in the order sent.',
  type: 'object',
  required: ['model', 'predictions', 'timing'],
  properties: {
    model: { type: 'string', description: 'The id of the model that answered.' },
    predictions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['label', 'classIndex', 'confidence', 'topK', 'answer', 'verdict'],
        properties: {
          label: nullable({ type: 'string', description: 'Best allowed class (null: no character at all).' }),
          classIndex: nullable({ type: 'integer' }),
          confidence: { type: 'number', description: 'Calibrated probability of `label`.' },
          topK: { type: 'array', items: rankedClass },
          answer: nullable({
            type: 'string',
            description: '`label` when the verdict is `accepted`; null means no confident answer.',
          }),
          verdict: { type: 'string', enum: [...VERDICTS] },
          message: { type: 'string', description: 'Why there is no answer (absent when accepted).' },
          ...placement,
          input: {
            type: 'array',
            items: { type: 'integer' },
            description: 'With debug=1: the 28x28 grey levels the model saw, row by row.',
          },
        },
      },
    },
    timing: {
      type: 'object',
      required: ['preprocessMs', 'inferenceMs', 'totalMs'],
      properties: {
        preprocessMs: { type: 'number' },
        inferenceMs: { type: 'number' },
        totalMs: { type: 'number' },
      },
    },
  },
} as const;

/** POST /v1/predict; `classCount` bounds top_k, `maxImages` the images of one request. */
export function predictSchema(classCount: number, maxImages: number) {
  const topK = {
    type: 'integer',
    minimum: 1,
    maximum: classCount,
    default: 5,
    description: 'How many ranked classes each prediction lists.',
  } as const;
  return {
    summary: 'Recognise handwritten characters',
    description:
      'One character per image: the image itself as the body, a multipart form with one or more `image` files, or JSON pixels / base64 images.',
    tags: ['characters'],
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { top_k: topK, classes, min_confidence: minConfidence, page, debug },
    },
    response: { 200: predictResponse },
    body: {
      content: {
        ...rawImageBodies(`A ${IMAGE_FORMATS_TEXT} photo or scan of one character.`),
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['image'],
            additionalProperties: false,
            properties: {
              image: {
                ...binary,
                description: `One character image; repeat the field for up to ${maxImages}.`,
              },
              top_k: topK,
              classes,
              min_confidence: minConfidence,
              page,
            },
          },
        },
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            description:
              'Either `pixels`, `images` or `image`, with options beside them (the query string wins).',
            properties: {
              pixels: {
                type: 'array',
                items: {},
                description:
                  'One 28x28 character as 784 grey levels row by row (0..255 or 0..1, ink bright or dark), or an array of such arrays.',
              },
              images: {
                type: 'array',
                minItems: 1,
                maxItems: maxImages,
                items: { type: 'string', description: `base64 ${IMAGE_FORMATS_TEXT} (data: URLs welcome)` },
              },
              image: {
                type: 'string',
                description: `One base64 ${IMAGE_FORMATS_TEXT} (data: URLs welcome).`,
              },
              top_k: orNumericString(topK),
              classes,
              min_confidence: minConfidence,
              page: jsonPage,
            },
          },
        },
      },
    },
  };
}

const readOptionProperties = {
  classes,
  pattern: {
    type: 'string',
    description: 'A regular expression the whole text must match, e.g. [A-Z]{2}[0-9]{4}.',
  },
  lexicon: { type: 'string', description: 'The name of a word list loaded with --lexicon name=FILE.' },
  lm: {
    type: 'string',
    description:
      'The name of a word list loaded with --lexicon name=FILE, as soft context: texts are ranked with a character trigram model of its words.',
  },
  top_k: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_TOP_K,
    default: DEFAULT_TOP_K,
    description: 'How many alternative texts to return.',
  },
  beam: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_BEAM,
    default: DEFAULT_BEAM,
    description: 'Beam width of the constrained CTC search (1 = best path).',
  },
  min_confidence: {
    type: 'number',
    minimum: 0,
    maximum: 1,
    description:
      'Give the reading a verdict: `accepted` when its confidence reaches this (`answer` is the text), else `not-confident` (`answer` null, `message` says why): a read to send to a person. Absent: no verdict. With layout=lines each line is judged, and the whole by the probability that every line is right.',
  },
  columns: {
    type: 'boolean',
    default: true,
    description:
      'With layout=lines: read columns side by side one after another (true, the default), or every row across the image as one line (false: for a table whose rows are read apart as columns).',
  },
  page,
  layout: {
    type: 'string',
    description:
      'line (default): the image is one line, word or field. lines: read every line of writing in it, in reading order (columns side by side one after another, each top to bottom); the answer has `lines`, each with its `box`, and `text` holds one line per line.',
  },
} as const;

/** POST /v1/read; `maxImages` bounds a JSON or multipart batch. */
export function readSchema(maxImages: number) {
  const images = (items: object) => ({
    type: 'array',
    minItems: 1,
    maxItems: maxImages,
    items,
    description: 'Several lines: the answer has `readings`, one per image.',
  });
  return {
    summary: 'Read a handwritten line, word or field',
    description:
      'One line per image, under optional constraints (classes, pattern, lexicon). Options as query parameters, or as fields of a JSON or multipart body (which win).',
    tags: ['lines'],
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { ...readOptionProperties, debug },
    },
    body: {
      content: {
        ...rawImageBodies(`A ${IMAGE_FORMATS_TEXT} image of one line of writing.`),
        'multipart/form-data': {
          schema: {
            type: 'object',
            additionalProperties: false,
            properties: {
              image: { ...binary, description: 'One line image.' },
              images: images(binary),
              ...readOptionProperties,
            },
          },
        },
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            description: 'Either `image` or `images`, with options beside them.',
            properties: {
              image: { type: 'string', description: `base64 ${IMAGE_FORMATS_TEXT} (data: URLs welcome)` },
              images: images({ type: 'string' }),
              ...readOptionProperties,
              top_k: orNumericString(readOptionProperties.top_k),
              beam: orNumericString(readOptionProperties.beam),
              page: jsonPage,
            },
          },
        },
      },
    },
  };
}

const sampleText = {
  type: 'string',
  maxLength: 200,
  description: 'What is written in the image: the reading, corrected where it is wrong.',
} as const;

/** POST /v1/samples: one line image and its text, kept to fine-tune the reader on (`hcr serve --collect`). */
export const samplesSchema = {
  summary: 'Keep a corrected example (a line image and its text) to fine-tune the reader on',
  description:
    'Only when the server was started with --collect <folder>: the image goes to <folder>/images/ (named by its sha256) and a row to <folder>/labels.tsv, the layout `hcr finetune <folder>` reads. The same image sent again replaces its text. Past --collect-max examples (default 10,000) a new image is 507 COLLECT_FULL.',
  tags: ['lines'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { text: sampleText },
  },
  body: {
    content: {
      ...rawImageBodies(`A ${IMAGE_FORMATS_TEXT} image of one line of writing (not a PDF or TIFF).`),
      'multipart/form-data': {
        schema: {
          type: 'object',
          additionalProperties: false,
          properties: { image: { ...binary, description: 'The line image.' }, text: sampleText },
        },
      },
      'application/json': {
        schema: {
          type: 'object',
          additionalProperties: false,
          properties: {
            image: { type: 'string', description: `base64 ${IMAGE_FORMATS_TEXT} (data: URLs welcome)` },
            text: sampleText,
          },
        },
      },
    },
  },
};
