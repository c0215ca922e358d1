import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HcrError, LINE_ALPHABET_36, type LineAlphabet, labelSpace } from '@hcr/core';
import { isImportedLines, lineText, openLineDataset, searchDirs, sha256 } from '@hcr/data/reader';
import { type LineLimits, type PreparedTextLine, parsePageRef, prepareLineImage } from '@hcr/image/decode';
import { LINE_HEIGHT } from '@hcr/model';

/** The field a set of lines comes from: decides which character class and lexicon apply. */
export type LineField = 'names' | 'amounts' | 'mixed';

/** One line ready for the reader: 32-px high, ink bright (docs/string-reader.md). */
export interface LineItem {
  /** Where it came from: `images/name-0001.jpg`, or `test#17` for a synthetic line. */
  id: string;
  truth: string;
  width: number;
  /** LINE_HEIGHT x width, row-major, 0 = background, 255 = ink. */
  pixels: Uint8Array;
  /** Generator kind of a synthetic line (e.g. `name`, `amount`), when the dataset records it. */
  kind?: string;
  /** The original file (real sets), for the report's error examples. */
  file?: string;
  /** The page of `file` (a PDF or TIFF of several), when its labels.tsv named one. */
  page?: number;
}

/** A line the pipeline could not turn into reader input (e.g. NO_INK from preprocessLine): a failed read. */
export interface FailedLine {
  id: string;
  truth: string;
  code: string;
  message: string;
  file?: string;
  page?: number;
}

export interface LineSet {
  /** `synthetic-test`, `handwritten-names-dev`, `handwritten-amounts-dev`. */
  name: string;
  kind: 'synthetic' | 'real';
  field: LineField;
  /** Where the lines were read from (relative to the working directory when inside it). */
  dir: string;
  lines: LineItem[];
  failed: FailedLine[];
  /** A synthetic set: sha256 of its dataset's manifest.json. */
  manifestSha256?: string;
  /** A real set: sha256 of its labels.tsv. */
  labelsSha256?: string;
}

/** The real development sets (../shared/data/README.md): for measuring only, never for training. */
export const DEV_SETS = Object.freeze({
  'handwritten-names-dev': { field: 'names' as const },
  'handwritten-amounts-dev': { field: 'amounts' as const },
});
export type DevSetName = keyof typeof DEV_SETS;
export const DEV_SET_NAMES = Object.keys(DEV_SETS) as DevSetName[];

/** The repository root (the directory holding pnpm-workspace.yaml), searched upwards from `from`. */
export function findRepoRoot(from: string = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Where a dev set is looked for: `--data-dir` alone when it is given (a folder the user names is the one meant: no
 * silent fallback to another copy); else HCR_DATA_DIR, the user cache (@hcr/data's searchDirs), then
 * `../shared/data` beside the repository (this project's checkouts).
 */
export function devSetSearchDirs(dataDir?: string): string[] {
  if (dataDir !== undefined) return [resolve(dataDir)];
  const dirs = searchDirs();
  const root = findRepoRoot();
  if (root) dirs.push(resolve(root, '..', 'shared', 'data'));
  return [...new Set(dirs)];
}

/** The folder of a dev set (holding labels.tsv), or where it was looked for. */
export function findDevSet(name: DevSetName, dataDir?: string): { dir?: string; looked: string[] } {
  const looked = devSetSearchDirs(dataDir).map((d) => join(d, name));
  return { dir: looked.find((d) => existsSync(join(d, 'labels.tsv'))), looked };
}

/**
 * An explicit `--data-dir` must exist and hold both dev sets (`<dir>/<name>/labels.tsv`): it is searched alone, so
 * a wrong path is an error naming the folder, not a report read from another copy or with the dev sets skipped.
 */
export function checkDataDir(dataDir: string): void {
  const abs = resolve(dataDir);
  const fix = `Pass the folder holding ${DEV_SET_NAMES.map((n) => `${n}/`).join(' and ')} (in this project's checkouts: ../shared/data), leave --data-dir out to look in HCR_DATA_DIR, the user cache and ../shared/data, or read other folders with --real names=<dir>,amounts=<dir>.`;
  if (!existsSync(abs))
    throw new HcrError('DATA_DIR_MISSING', `--data-dir ${abs} does not exist.`, { hint: fix });
  const missing = DEV_SET_NAMES.filter((n) => !existsSync(join(abs, n, 'labels.tsv')));
  if (missing.length)
    throw new HcrError(
      'DEV_SET_MISSING',
      `--data-dir ${abs} holds no ${missing.map((n) => `${n}/labels.tsv`).join(' and no ')}.`,
      { hint: fix },
    );
}

/** A folder of real labelled line images to read in place of the dev sets (`hcr eval --real`). */
export interface RealSetSpec {
  /** Which constraints apply: names (letters, marks, lexicon) or amounts (digits). */
  field: 'names' | 'amounts';
  /** Holds labels.tsv (`<relative image path>` TAB `<transcription>`) and the images it lists. */
  dir: string;
}

const REAL_FIELDS = ['names', 'amounts'] as const;

/** The source name of a real set in the report: its folder's name. */
export function realSetName(set: RealSetSpec): string {
  return basename(resolve(set.dir));
}

/**
 * `names=<dir>,amounts=<dir>` (the value of `hcr eval --real`) as folder specs: the syntax only; the folders
 * are checked by checkRealSets, which evaluateReader runs before reading anything.
 */
export function parseRealSets(spec: string): RealSetSpec[] {
  const example =
    'Example: --real names=held-out/names,amounts=held-out/amounts (names: letters; amounts: digits).';
  const sets = spec
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part): RealSetSpec => {
      const eq = part.indexOf('=');
      const field = part.slice(0, Math.max(eq, 0)).trim();
      if (eq < 0 || !(REAL_FIELDS as readonly string[]).includes(field))
        throw new HcrError(
          'REAL_SET_INVALID',
          `'${part}' does not say which field its lines are: expected ${REAL_FIELDS.map((f) => `${f}=<dir>`).join(' or ')}.`,
          { hint: example },
        );
      return { field: field as RealSetSpec['field'], dir: resolve(part.slice(eq + 1).trim()) };
    });
  if (sets.length === 0)
    throw new HcrError('REAL_SET_INVALID', '--real was given no folder.', { hint: example });
  return sets;
}

/**
 * Each folder must hold a labels.tsv listing at least one image, must not bear the name of the other field's dev set
 * (the report names a source after its folder, and a dev set's name brings that dev set's targets and Tesseract
 * figures), and no two may share a folder name (each source is named after it).
 */
export function checkRealSets(sets: readonly RealSetSpec[]): void {
  for (const set of sets) {
    const { field, dir } = set;
    if (!(REAL_FIELDS as readonly string[]).includes(field))
      throw new HcrError('REAL_SET_INVALID', `Unknown field '${field}' for ${dir}.`, {
        hint: `A real set is ${REAL_FIELDS.join(' or ')}.`,
      });
    const devSet = (DEV_SETS as Record<string, { field: LineField } | undefined>)[realSetName(set)];
    if (devSet && devSet.field !== field)
      throw new HcrError(
        'REAL_SET_INVALID',
        `${dir} is the ${devSet.field} dev set's folder, given as ${field}=: its lines would be read under the ${field} constraints and reported beside both fields' targets and Tesseract figures.`,
        {
          hint: `Pass it as ${devSet.field}=${dir}, or copy the folder under another name if it really holds ${field}.`,
        },
      );
    const labels = join(dir, 'labels.tsv');
    if (!existsSync(labels))
      throw new HcrError('REAL_SET_MISSING', `${labels} does not exist.`, {
        hint: 'A real set is a folder holding labels.tsv (`images/<file>` TAB `<transcription>` per line) and those images.',
      });
    // read here too, so a malformed or empty labels.tsv is refused before the model is loaded
    parseLabelsTsv(readFileSync(labels, 'utf8'), labels);
  }
  const names = sets.map(realSetName);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice)
    throw new HcrError(
      'REAL_SET_INVALID',
      `Two folders are named '${twice}'; the report names each source after its folder.`,
      { hint: 'Rename one of them, or evaluate them in two runs (--report <name> keeps the reports apart).' },
    );
}

/**
 * labels.tsv: `relative path TAB transcription` per line; blank lines skipped, anything else an error, and so is
 * a file listing no image (a report of 0 lines would show 0.00% CER). A
 * byte-order mark and CRLF line ends (a file saved on Windows) are allowed. A relative path must stay in the
 * folder of labels.tsv (`../../etc/passwd` would read a file from elsewhere); an absolute path is read where it
 * points (`hcr read --format tsv` drafts give them). An image (or page) listed twice is an error naming both
 * lines: with two texts one is wrong, with the same text it would count twice.
 */
export function parseLabelsTsv(text: string, file: string): { path: string; truth: string }[] {
  const dir = dirname(resolve(file));
  const rows: { path: string; truth: string }[] = [];
  /** The line each image (and page) was first listed on, by its full path. */
  const seen = new Map<string, { line: number; truth: string }>();
  const twice: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (!line.trim()) return;
      const tab = line.indexOf('\t');
      if (tab <= 0)
        throw new HcrError(
          'LABELS_INVALID',
          `${file} line ${i + 1} has no TAB between path and transcription.`,
          {
            hint: 'Each line of labels.tsv is `images/<file>` TAB `<transcription>`: fix that line (or, for a dev set, restore the file from the data folder).',
          },
        );
      const row = { path: line.slice(0, tab), truth: line.slice(tab + 1) };
      const ref = parsePageRef(row.path);
      const full = resolve(dir, ref.file);
      const inside = relative(dir, full);
      if (!isAbsolute(ref.file) && (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)))
        throw new HcrError(
          'LABELS_INVALID',
          `${file} line ${i + 1} names ${row.path}, which is outside ${dir}: a relative path must stay in the folder of labels.tsv.`,
          {
            hint: 'Copy the image into the folder (e.g. images/) and list it as images/<file>, or give its absolute path if it is meant to be read from elsewhere.',
          },
        );
      const key = ref.page ? `${full}#page=${ref.page}` : full;
      const first = seen.get(key);
      if (first)
        twice.push(
          first.truth === row.truth
            ? `${file} lines ${first.line} and ${i + 1} both list ${row.path}, with the same text: it would count twice`
            : `${file} lines ${first.line} and ${i + 1} both list ${row.path}, as '${first.truth}' and as '${row.truth}'`,
        );
      else seen.set(key, { line: i + 1, truth: row.truth });
      rows.push(row);
    });
  if (rows.length === 0)
    throw new HcrError(
      'LABELS_INVALID',
      `${file} lists no image: it is empty or holds blank lines only, so there is nothing to read or score.`,
      {
        hint: 'Write one line per image: `images/<file>` TAB `<transcription>` (for a dev set, restore the file from the data folder).',
      },
    );
  if (twice.length)
    throw new HcrError(
      'LABELS_INVALID',
      `${twice[0]}${twice.length > 1 ? `; ${twice.length - 1} more image${twice.length > 2 ? 's are' : ' is'} listed twice` : ''}.`,
      { hint: 'List each image once: keep the row with the right text and delete the other.' },
    );
  return rows;
}

/** How `loadDevSet` prepares images: the default reads each in this thread, one after another. */
export interface DevSetReadOptions {
  /** Called after each row (read or failed): `hcr data lines import` shows progress with it. */
  onRow?: (done: number, total: number) => void;
  /** Image bytes -> a 32-px line; default @hcr/image's `prepareLineImage` (a worker pool's gives the same lines). */
  prepare?: (bytes: Uint8Array, limits: Partial<LineLimits>) => Promise<PreparedTextLine>;
  /** Rows prepared at once (with a pool's `prepare`: about twice its threads). Default 1. */
  concurrency?: number;
}

/**
 * A real dev set: each image read into a 32-px line by @hcr/image's `prepareLineImage`, the same code (decoding
 * and preprocessing) as `hcr read` and the server. An image it refuses (no ink, unreadable file...) is a failed read,
 * recorded with its error code. `limit` keeps the first n rows (tests, quick looks). Lines keep the rows' order
 * whatever the concurrency.
 */
export async function loadDevSet(
  dir: string,
  name: string,
  field: LineField,
  limit?: number,
  { onRow, prepare = prepareLineImage, concurrency = 1 }: DevSetReadOptions = {},
): Promise<LineSet> {
  const labelsFile = join(dir, 'labels.tsv');
  const labelsBytes = await readFile(labelsFile);
  const rows = parseLabelsTsv(labelsBytes.toString('utf8'), labelsFile).slice(0, limit);
  const set: LineSet = {
    name,
    kind: 'real',
    field,
    dir,
    lines: [],
    failed: [],
    labelsSha256: sha256(labelsBytes),
  };
  /** One row as a line, or as a failed read under the error code its image was refused with. */
  const readRow = async (row: { path: string; truth: string }): Promise<LineItem | FailedLine> => {
    // `scan.pdf#page=2` names a page of a PDF or TIFF, as `hcr read` names its rows.
    const ref = parsePageRef(row.path);
    // relative to the folder (the dev sets' `images/...`), or absolute (a draft `hcr read --format tsv` wrote)
    const file = isAbsolute(ref.file) ? ref.file : join(dir, ref.file);
    const page = ref.page ? { page: ref.page } : {};
    try {
      const bytes = await readFile(file).catch(() => {
        throw new HcrError('IMAGE_MISSING', `${file} (listed in ${labelsFile}) does not exist.`, {
          hint: 'Restore the data folder.',
        });
      });
      // What `hcr read` and the server do with the same file: sharp's decoding (EXIF rotation, the working
      // size), then @hcr/image's preprocessLine. An image it refuses is a failed read under its error code.
      const line = await prepare(bytes, page);
      if (line.height !== LINE_HEIGHT || line.pixels.length !== line.width * LINE_HEIGHT)
        throw new RangeError(
          `prepareLineImage gave ${line.width}x${line.height} with ${line.pixels.length} pixels for ${file}`,
        );
      return { id: row.path, truth: row.truth, width: line.width, pixels: line.pixels, file, ...page };
    } catch (e) {
      if (!(e instanceof HcrError)) throw e;
      return { id: row.path, truth: row.truth, code: e.code ?? 'ERROR', message: e.message, file, ...page };
    }
  };
  for (let start = 0; start < rows.length; start += concurrency) {
    // a chunk's rows are prepared together, then recorded in their order
    for (const item of await Promise.all(rows.slice(start, start + concurrency).map(readRow))) {
      if ('code' in item) set.failed.push(item);
      else set.lines.push(item);
      onRow?.(set.lines.length + set.failed.length, rows.length);
    }
  }
  return set;
}

/** The test split of a line dataset (`openLineDataset` of @hcr/data: drawn or imported), each line with its kind. */
export async function loadSyntheticLines(
  dir: string,
  alphabet: LineAlphabet = LINE_ALPHABET_36,
  limit?: number,
): Promise<LineSet> {
  const dataset = await openLineDataset(dir);
  if (dataset.alphabet.id !== alphabet.id)
    throw new HcrError(
      'LINE_ALPHABET_MISMATCH',
      `The line dataset in ${dir} is written in ${dataset.alphabet.id}; the reader reads ${alphabet.id}.`,
      {
        hint: `Evaluate with a line dataset built for this reader: --lines <dir> of \`hcr data lines prepare --labels ${labelSpace(alphabet.labelSpace).classes.length} --out <dir>\`.`,
      },
    );
  const split = await dataset.loadSplit('test');
  const n = limit === undefined ? split.count : Math.min(limit, split.count);
  const lines: LineItem[] = [];
  for (let i = 0; i < n; i++) {
    const width = split.widths[i]!;
    const start = split.pixelOffsets[i]!;
    lines.push({
      id: `test#${i}`,
      truth: lineText(split, i, alphabet),
      width,
      pixels: split.pixels.subarray(start, start + width * split.height),
      kind: dataset.manifest.kinds[split.kinds[i]!] ?? `kind ${split.kinds[i]}`,
    });
  }
  const { manifest } = dataset;
  return {
    // imported lines (`hcr data lines import`) are one's own fields: named after their folder, not held to the
    // synthetic lines' targets
    name: isImportedLines(manifest) ? `${manifest.imported.source}-test` : 'synthetic-test',
    kind: 'synthetic',
    field: 'mixed',
    dir: dataset.dir,
    lines,
    failed: [],
    manifestSha256: dataset.manifestSha256,
  };
}
