import { readFile } from 'node:fs/promises';
import {
  HcrError,
  isHcrError,
  LABEL_SPACE_CHOICES,
  type LabelSpaceChoice,
  type LineAlphabet,
  labelSpace,
  lineAlphabet,
} from '@hcr/core';

/** The kinds of field a synthetic line imitates, in kind-id order (the id is stored per line). */
export const LINE_KINDS = ['name', 'word', 'number', 'date', 'amount', 'code', 'mixed'] as const;
export type LineKind = (typeof LINE_KINDS)[number];

export type LineSplitName = 'train' | 'val' | 'test';
export const LINE_SPLITS: readonly LineSplitName[] = ['train', 'val', 'test'];

/** What `hcr data lines prepare` builds. Everything here is recorded in the manifest. */
export interface LineConfig {
  seed: number;
  /** Lines per split. */
  counts: Record<LineSplitName, number>;
  /** Output line height (the reader's LINE_HEIGHT). */
  height: number;
  /** Text length in characters (marks and spaces included). */
  minLength: number;
  maxLength: number;
  /** Relative weight of each kind of field. */
  kindWeights: Record<LineKind, number>;
  /** Fraction of the training characters held out for the val lines (per class). */
  valGlyphFraction: number;
  /** Probabilities of the scan clutter, each drawn independently per line. */
  clutter: {
    /** One box per character (comb), or one box around the field. */
    combBoxes: number;
    fieldBox: number;
    /** A printed rule under (or through the bottom of) the writing. */
    ruledLine: number;
    /** A printed field label left of the writing ("NOM:", "MONTANT", "$"). */
    printedLabel: number;
    /** Printed text of a neighbouring field cut by the top or bottom edge. */
    neighbourText: number;
    /** A textured (cheque-like) background instead of plain paper. */
    texture: number;
    blur: number;
    jpeg: number;
    rotation: number;
  };
  /** Lines per shard file. */
  shardSize: number;
  /**
   * The character label space the texts are labelled in (the reader's alphabet follows it): absent or 36,
   * case merged (a lower-case glyph is labelled as its capital); 62, case-sensitive (`Martin` stays `Martin`);
   * 47, EMNIST Balanced's merges. Absent from the default config, so its manifest is what it always was.
   */
  labels?: LabelSpaceChoice;
  /**
   * Share of the lines written in single pen strokes instead of MNIST/EMNIST glyphs: capitals and digits of straight
   * segments and plain curves, as block capitals are written on forms and as a mouse or finger draws them on the
   * drawing page (names 1.25x as often, numbers and dates 0.75x, amounts 0.5x). Absent or 0: none, and the lines
   * are byte for byte what they were before this existed (the choice draws from a stream of its own).
   */
  strokeLines?: number;
}

/** The most lines a split may ask for (the full config renders 96,000 training lines). */
export const MAX_LINES_PER_SPLIT = 10_000_000;

export const DEFAULT_LINE_CONFIG: LineConfig = Object.freeze({
  seed: 1,
  counts: { train: 24000, val: 1000, test: 2000 },
  height: 32,
  minLength: 1,
  maxLength: 18,
  kindWeights: { name: 0.36, word: 0.08, number: 0.12, date: 0.07, amount: 0.22, code: 0.08, mixed: 0.07 },
  valGlyphFraction: 0.05,
  clutter: {
    combBoxes: 0.06,
    fieldBox: 0.1,
    ruledLine: 0.25,
    printedLabel: 0.35,
    neighbourText: 0.2,
    texture: 0.35,
    blur: 0.4,
    jpeg: 0.5,
    rotation: 0.5,
  },
  shardSize: 10000,
}) as LineConfig;

function bad(field: string, value: unknown, expected: string): never {
  throw new HcrError(
    'LINE_CONFIG',
    `Line config field '${field}' is ${JSON.stringify(value)}; expected ${expected}.`,
    { hint: 'Fix configs/lines.json (or the file given with --config); omit a field for its default.' },
  );
}

const isProbability = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 1;

function checkKeys(field: string, value: object, known: string[]): void {
  for (const k of Object.keys(value))
    if (!known.includes(k))
      bad(
        `${field}${k}`,
        (value as Record<string, unknown>)[k],
        `no such field (known: ${known.join(', ')})`,
      );
}

/** Merges and validates a partial config over the defaults; unknown fields are errors, not silently ignored. */
export function resolveLineConfig(partial: Partial<LineConfig> = {}): LineConfig {
  const d = DEFAULT_LINE_CONFIG;
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial))
    bad('<root>', partial, 'a JSON object of fields (e.g. {"seed": 2})');
  checkKeys('', partial, [...Object.keys(d), 'labels', 'strokeLines']);
  for (const k of ['counts', 'kindWeights', 'clutter'] as const) {
    const v = partial[k];
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) bad(k, v, 'an object');
    if (v) checkKeys(`${k}.`, v, Object.keys(d[k]));
  }
  const c: LineConfig = {
    ...d,
    ...partial,
    counts: { ...d.counts, ...partial.counts },
    kindWeights: { ...d.kindWeights, ...partial.kindWeights },
    clutter: { ...d.clutter, ...partial.clutter },
  };
  // The renderer's random streams keep 32 bits of the seed: a larger one would silently be another one.
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff)
    bad('seed', c.seed, 'an integer in 0..4294967295');
  // Past MAX_LINES_PER_SPLIT (a typo such as 1e12): rendering would run for years before it failed.
  for (const s of LINE_SPLITS)
    if (!Number.isInteger(c.counts[s]) || c.counts[s] < 0 || c.counts[s] > MAX_LINES_PER_SPLIT)
      bad(`counts.${s}`, c.counts[s], `an integer in 0..${MAX_LINES_PER_SPLIT}`);
  if (LINE_SPLITS.every((s) => c.counts[s] === 0))
    bad(
      'counts',
      c.counts,
      'at least one line in some split (a dataset of no lines reads and trains nothing)',
    );
  if (c.height !== 32) bad('height', c.height, '32 (the reader height, LINE_HEIGHT in @hcr/model)');
  if (!Number.isInteger(c.minLength) || c.minLength < 1) bad('minLength', c.minLength, 'an integer >= 1');
  if (!Number.isInteger(c.maxLength) || c.maxLength < Math.max(c.minLength, 4) || c.maxLength > 64)
    bad('maxLength', c.maxLength, `an integer in ${Math.max(c.minLength, 4)}..64`);
  for (const k of LINE_KINDS) {
    const w = c.kindWeights[k];
    if (typeof w !== 'number' || !(w >= 0)) bad(`kindWeights.${k}`, w, 'a number >= 0');
  }
  if (LINE_KINDS.every((k) => c.kindWeights[k] === 0))
    bad('kindWeights', c.kindWeights, 'at least one weight > 0');
  // weights are drawn in proportion to their sum: an infinite sum (1e308 twice) drew the kinds of weight 0.07
  if (!Number.isFinite(LINE_KINDS.reduce((sum, k) => sum + c.kindWeights[k], 0)))
    bad('kindWeights', c.kindWeights, 'weights of a finite sum (only their proportions count: e.g. 1 and 3)');
  if (typeof c.valGlyphFraction !== 'number' || !(c.valGlyphFraction > 0 && c.valGlyphFraction < 0.5))
    bad('valGlyphFraction', c.valGlyphFraction, 'a number in (0, 0.5)');
  for (const [k, v] of Object.entries(c.clutter))
    if (!isProbability(v)) bad(`clutter.${k}`, v, 'a probability in [0, 1]');
  if (!Number.isInteger(c.shardSize) || c.shardSize < 1) bad('shardSize', c.shardSize, 'a positive integer');
  if (c.strokeLines !== undefined && !(isProbability(c.strokeLines) && c.strokeLines <= 0.8))
    bad('strokeLines', c.strokeLines, 'a share of the lines in [0, 0.8]');
  // "62" (a flag's text) is 62, as the data config reads it
  if (typeof c.labels === 'string' && /^\s*\d+\s*$/.test(c.labels))
    c.labels = Number(c.labels) as LabelSpaceChoice;
  if (c.labels !== undefined && !LABEL_SPACE_CHOICES.includes(c.labels))
    bad('labels', c.labels, `one of ${LABEL_SPACE_CHOICES.join(', ')}`);
  // The manifest records the config and prepareLines compares it as JSON: 36 is the default (absent, as the data
  // config leaves it out), and the optional fields come in one order whatever the file's, so the same lines are
  // "up to date" and have the same manifest however the config was spelt (`--labels 36` re-rendered them).
  const { labels, strokeLines, ...rest } = c;
  return {
    ...rest,
    ...(labels !== undefined && labels !== 36 ? { labels } : {}),
    ...(strokeLines !== undefined ? { strokeLines } : {}),
  };
}

/** The reader alphabet a line config labels its texts in (36 when `labels` is absent). */
export function lineConfigAlphabet(config: Pick<LineConfig, 'labels'>): LineAlphabet {
  return lineAlphabet(labelSpace(config.labels ?? 36));
}

export async function loadLineConfig(path: string): Promise<LineConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HcrError('LINE_CONFIG', `Cannot read line config ${path}: ${(e as Error).message}.`, {
      hint: 'Pass an existing JSON file with --config (configs/lines.json), or omit it for the defaults.',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new HcrError('LINE_CONFIG', `Line config ${path} is not valid JSON: ${(e as Error).message}.`, {
      hint: 'Fix the JSON.',
    });
  }
  try {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      bad('<root>', parsed, 'a JSON object');
    return resolveLineConfig(parsed as Partial<LineConfig>);
  } catch (e) {
    // the field's problem, in the file it is in (the hint named configs/lines.json whatever --config said)
    if (isHcrError(e) && e.code === 'LINE_CONFIG')
      throw new HcrError('LINE_CONFIG', `In ${path}: ${e.problem}`, {
        hint: `Fix ${path}; omit a field for its default.`,
      });
    throw e;
  }
}
