import { readFile } from 'node:fs/promises';
import {
  describeLabelSpace,
  HcrError,
  isHcrError,
  LABEL_SPACES,
  type LabelSpace,
  type LabelSpaceChoice,
  type LetterSource,
  labelSpace,
  labelSpaceChoice,
} from '@hcr/core';

/** What `hcr data prepare` builds. Everything here is recorded in the manifest. */
export interface DataConfig {
  /** Letters source: official EMNIST Letters, the offline repack, or `auto` (official when present). */
  letters: 'auto' | LetterSource;
  /** `canonical`: the shared character normalisation; `none`: pixels as published (reproduces the seed). */
  normalise: 'canonical' | 'none';
  /** Fraction of train held out as the validation split, stratified per class and source. */
  valFraction: number;
  /** Seed of the validation split. */
  seed: number;
  /**
   * Extra test-only sets (never trained on): the EMNIST digits test set, official (`emnist-digits`, 40,000
   * images) or the offline repack (`emnist-digits-repack`, 57,918); `auto` takes the official files when
   * present, else the repack (and `hcr data prepare --download` fetches the official ones when neither is).
   */
  extra: ExtraSetChoice[];
  /** Samples per shard file. */
  shardSize: number;
  /**
   * Label space: 36 (digits + case-merged letters, the default), 47 (EMNIST Balanced) or 62 (case-sensitive).
   * Absent means 36, and a resolved config leaves it out for 36 so the default dataset's manifest (its
   * identity) is the same as before label spaces could be chosen.
   */
  labels?: LabelSpaceChoice;
}

/** The label space a data config builds. */
export function configLabelSpace(config: Pick<DataConfig, 'labels'>): LabelSpace {
  return labelSpace(config.labels ?? 36);
}

export const EXTRA_SET_CHOICES = ['auto', 'emnist-digits', 'emnist-digits-repack'] as const;
export type ExtraSetChoice = (typeof EXTRA_SET_CHOICES)[number];

export const DEFAULT_DATA_CONFIG: DataConfig = Object.freeze({
  letters: 'auto',
  normalise: 'canonical',
  valFraction: 0.05,
  seed: 1,
  extra: ['auto'],
  shardSize: 16384,
}) as DataConfig;

const FIX_CONFIG = 'Fix the config file or the flag.';

function bad(field: string, value: unknown, expected: string): never {
  throw new HcrError(
    'DATA_CONFIG',
    `Data config field '${field}' is ${JSON.stringify(value)}; expected ${expected}.`,
    {
      hint: FIX_CONFIG,
    },
  );
}

/** Merges and validates a partial config over the defaults; unknown fields are errors, not silently ignored. */
export function resolveDataConfig(partial: Partial<DataConfig> = {}): DataConfig {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial))
    bad('<root>', partial, 'a JSON object of fields (e.g. {"valFraction": 0.1})');
  const known = [...Object.keys(DEFAULT_DATA_CONFIG), 'labels'];
  for (const k of Object.keys(partial))
    if (!known.includes(k))
      bad(k, (partial as Record<string, unknown>)[k], `no such field (known: ${known.join(', ')})`);
  const c = { ...DEFAULT_DATA_CONFIG, ...partial } as DataConfig;
  if (c.labels !== undefined) {
    const found = LABEL_SPACES.find((s) => String(s.classes.length) === String(c.labels).trim());
    if (!found)
      bad(
        'labels',
        c.labels,
        `the number of classes: ${LABEL_SPACES.map((s) => `${s.classes.length} (${describeLabelSpace(s)})`).join(', ')}`,
      );
    if (found.id === 'hcr36') delete c.labels;
    else c.labels = labelSpaceChoice(found);
  }
  const letters = [
    'auto',
    'emnist-letters',
    'emnist-letters-repack',
    'emnist-byclass',
    'emnist-byclass-repack',
  ];
  if (!letters.includes(c.letters)) bad('letters', c.letters, letters.map((l) => `'${l}'`).join(', '));
  if (c.labels !== undefined && c.letters.startsWith('emnist-letters'))
    throw new HcrError(
      'DATA_CONFIG',
      `Data config asks for ${c.labels} case-sensitive classes but letters '${c.letters}', which merges upper and lower case.`,
      { hint: "Use letters 'auto' (or 'emnist-byclass' / 'emnist-byclass-repack') with 47 or 62 classes." },
    );
  if (!['canonical', 'none'].includes(c.normalise)) bad('normalise', c.normalise, "'canonical' or 'none'");
  if (typeof c.valFraction !== 'number' || !(c.valFraction >= 0 && c.valFraction < 0.5))
    bad('valFraction', c.valFraction, 'a number in [0, 0.5)');
  // createRng takes seeds >= 0 and keeps 32 bits: a larger seed would silently be another one
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff)
    bad('seed', c.seed, 'an integer in 0..4294967295');
  if (!Array.isArray(c.extra) || c.extra.some((e) => !EXTRA_SET_CHOICES.includes(e)))
    bad(
      'extra',
      c.extra,
      `a list of extra test sets (supported: ${EXTRA_SET_CHOICES.map((e) => `'${e}'`).join(', ')})`,
    );
  const twice = c.extra.find((e, i) => c.extra.indexOf(e) !== i);
  // each set would be read once per mention: the extra split held every image twice
  if (twice) bad('extra', c.extra, `each extra test set once ('${twice}' is listed twice)`);
  if (!Number.isInteger(c.shardSize) || c.shardSize < 1) bad('shardSize', c.shardSize, 'a positive integer');
  return c;
}

export async function loadDataConfig(path: string): Promise<DataConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HcrError('DATA_CONFIG', `Cannot read data config ${path}: ${(e as Error).message}.`, {
      hint: 'Pass an existing JSON file with --config, or omit it for the defaults.',
    });
  }
  try {
    return resolveDataConfig(JSON.parse(text));
  } catch (e) {
    if (e instanceof SyntaxError)
      throw new HcrError('DATA_CONFIG', `Data config ${path} is not valid JSON: ${e.message}.`, {
        hint: 'Fix the JSON.',
      });
    // the field's problem, in the file it is in (the hint said "the config file or the flag")
    if (isHcrError(e) && e.code === 'DATA_CONFIG')
      throw new HcrError('DATA_CONFIG', `In ${path}: ${e.problem}`, {
        hint: e.hint === FIX_CONFIG ? `Fix ${path}; omit a field for its default.` : e.hint,
      });
    throw e;
  }
}
