import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { HcrError, writeFileAtomic } from '@hcr/core';
import {
  createLineReader,
  judgeReading,
  type LineReader,
  type LineReading,
  loadLexicons,
  MAX_BEAM,
  MAX_TOP_K,
  type PreparedLine,
  patternCaseNote,
  type ReadOptions,
  type TextLinesOptions,
  type TextReading,
} from '@hcr/serve-onnx/reader';
import { encodeGreyPng } from '@hcr/serve-onnx/recognizer';
import type { Command } from 'commander';
import { csvRow } from '../csv.js';
import {
  assertOutputFolder,
  checkFlagFile,
  commaList,
  defaultModel,
  minConfidenceFlag,
  rangeInt,
} from '../flags.js';
import {
  debugNamer,
  errorLine,
  expandImageArgs,
  IMAGE_EXTENSIONS,
  type ImageInput,
  imageFileReader,
  pageOf,
  type RowError,
  rowError,
} from '../image-files.js';
import { formatOption, log, type OutputFormat, out, outputFormat, printJson } from '../output.js';
import { countProgress } from '../progress.js';

/** The pipeline's reader: its two readers packed into one file by its export task. */
export const DEFAULT_READER = 'artifacts/model/reader/model.onnx';

/**
 * `a.onnx,b.onnx`: several readers trained alike, read as one ensemble; one path stays a string. A list of none
 * (`--model ,`) is refused, naming `source` (the flag or variable it came from) when given.
 */
export function readerPaths(spec: string, source?: string): string | string[] {
  const paths = commaList(spec);
  if (paths.length === 0) {
    const named = source ? `${source} ` : '';
    throw new HcrError('BAD_OPTION', `${named}'${spec}' names no reader model file.`, {
      hint: `Pass one ONNX reader (${source ?? '--model'} a.onnx) or several trained alike, comma-separated (a.onnx,b.onnx).`,
    });
  }
  return paths.length === 1 ? paths[0]! : paths;
}

/**
 * The reader the user named: the first flag given (`[value, '--model']`), else HCR_READER (empty is unset, as for
 * HCR_MODEL); undefined when none is, and each command falls back to its own default.
 */
export function namedReader(
  flags: [value: string | undefined, name: string][],
): string | string[] | undefined {
  const [spec, source] = flags.find(([value]) => value !== undefined) ?? [
    process.env.HCR_READER || undefined,
    'HCR_READER',
  ];
  return spec === undefined ? undefined : readerPaths(spec, source);
}

interface ReadResult {
  file: string;
  reading?: LineReading;
  error?: RowError;
}

/** `--layout lines`: every line of writing in the file. */
interface PageResult {
  file: string;
  reading?: TextReading;
  error?: RowError;
}

/** `--layout`: line (one line, word or field per image) or lines (every line of writing in it). */
function layoutFlag(v: string): 'line' | 'lines' {
  if (v === 'line' || v === 'lines') return v;
  throw new HcrError('BAD_OPTION', `--layout must be line or lines, got '${v}'.`, {
    hint: 'Use --layout line (each image is one line, word or field; the default) or --layout lines (read every line of writing in it, in reading order: top to bottom, columns one after another).',
  });
}

export function registerRead(program: Command): void {
  program
    .command('read')
    .description('read handwritten lines, words or fields (names, amounts, codes) in image files')
    .argument(
      '<images...>',
      `image files, one line or field each (each page of a PDF or TIFF of several), or folders (searched recursively for ${IMAGE_EXTENSIONS.join(' ')})`,
    )
    .option(
      '--model <files>',
      `line reader ONNX model, or several trained alike as one ensemble: a.onnx,b.onnx, or one file packed by "hcr export ensemble" (env HCR_READER; default ${DEFAULT_READER})`,
    )
    .option('--reader <files>', 'the same as --model (the name hcr serve gives it)')
    .option(
      '--classes <class>',
      'all | digits | letters | alnum | uppercase | lowercase (a case-sensitive reader) | chars:<set> (e.g. chars:0123456789.,)',
    )
    .option('--pattern <regex>', "the whole text must match, e.g. '[A-Z]{2}[0-9]{4}' or '[0-9.,]+'")
    .option(
      '--lexicon <file>',
      'word list (one word per line): the text must be words of it (NAME=FILE, as hcr serve takes it, works too)',
    )
    .option(
      '--lm <file>',
      'word list (one word per line) as soft context: likely spellings of its words win near ties',
    )
    .option('--top-k <n>', `alternative texts per image (1..${MAX_TOP_K})`, rangeInt('--top-k', MAX_TOP_K), 3)
    .option('--beam <n>', `beam width (1 = best path; up to ${MAX_BEAM})`, rangeInt('--beam', MAX_BEAM))
    .option(
      '--min-confidence <p>',
      'give each reading a verdict: accepted when its confidence reaches p (0..1), else no confident answer, a read to check by hand (CSV gains answer and verdict columns)',
      minConfidenceFlag,
    )
    .option(
      '--layout <layout>',
      'line: each image is one line, word or field | lines: read every line of writing in it in reading order (a note, an address, a page of columns)',
      layoutFlag,
      'line',
    )
    .option(
      '--no-columns',
      'with --layout lines: read every row across the image as one line, not columns one after another (a table)',
    )
    .option(
      '--debug <dir>',
      'write each line as the reader sees it (32 px high), as <dir>/<name>.line.png (--layout lines: <name>.line1.png, .line2.png, ...)',
    )
    .addOption(
      formatOption({
        formats: ['tsv'],
        help: ' | tsv (file TAB text, one row per image: a labels.tsv to correct and give `hcr data lines import`)',
      }),
    )
    .option('--json', 'print one JSON document (same as --format json)')
    .addHelpText(
      'after',
      `
Examples:
  hcr read amount.png --classes chars:0123456789.,      # a cheque amount
  hcr read postcode.jpg --pattern '[A-Z]{2}[0-9] [0-9][A-Z]{2}' --top-k 5
  hcr read name.png --classes letters --lexicon surnames.txt --json
  hcr read name.png --classes letters --lm first-names.txt   # unknown names still read
  hcr read scans/amounts --classes digits --format csv > amounts.csv
  hcr read scans/amounts --classes digits --min-confidence 0.8   # accept, or check by hand
  hcr read note.jpg --layout lines                         # every line of a note, in reading order
  hcr read letters.pdf --layout lines                      # every page of a scanned PDF (rows letters.pdf#page=N)
  hcr read 'letters.pdf#page=3' --layout lines             # that page alone`,
    )
    .action(async (args: string[], opts) => {
      const format = outputFormat<OutputFormat | 'tsv'>(opts);
      if (format === 'tsv' && opts.layout === 'lines')
        throw new HcrError(
          'BAD_OPTION',
          '--format tsv writes one row per image; --layout lines reads several lines from each.',
          {
            hint: 'Drop --layout lines (cut the lines into images of their own to label them), or use --format csv.',
          },
        );
      if (opts.debug) assertOutputFolder(opts.debug, '--debug'); // not a file: before the model loads
      // the default found from a subfolder of the repository too, before standard input is read
      const model =
        namedReader([
          [opts.model, '--model'],
          [opts.reader, '--reader'],
        ]) ?? readerPaths(defaultModel(DEFAULT_READER, 'line reader', 'HCR_READER'));
      const images = await expandImageArgs(args);
      const specs = [
        ...(opts.lexicon ? [`lexicon=${listFile(opts.lexicon)}`] : []),
        ...(opts.lm ? [`lm=${listFile(opts.lm)}`] : []),
      ];
      // a device or a huge file is refused before it is read (as hcr serve --lexicon)
      if (opts.lexicon) await checkFlagFile('--lexicon', listFile(opts.lexicon));
      if (opts.lm) await checkFlagFile('--lm', listFile(opts.lm));
      const lexicons = specs.length ? await loadLexicons(specs) : undefined;
      const reader = await createLineReader({
        model,
        lexicons,
        prepareWorkers: await prepareWorkersFor(images),
      });
      try {
        const options: ReadOptions = {
          classes: opts.classes,
          pattern: opts.pattern,
          lexicon: opts.lexicon ? 'lexicon' : undefined,
          lm: opts.lm ? 'lm' : undefined,
          topK: opts.topK,
          beam: opts.beam,
          minConfidence: opts.minConfidence,
        };
        const compiled = reader.compile(options); // a bad pattern or class fails before any image is read
        // A reader that writes some lower-case letters as capitals reads them so in a pattern: say so, once.
        const note = opts.pattern
          ? patternCaseNote(opts.pattern, reader.info.id, reader.info.alphabet)
          : undefined;
        if (note) log(`note: ${note}`);
        if (opts.columns === false && opts.layout !== 'lines')
          throw new HcrError('BAD_OPTION', '--no-columns applies only with --layout lines.', {
            hint: 'Add --layout lines to read every line of each image (--no-columns: rows across the page).',
          });
        const judged = opts.minConfidence !== undefined;
        // Text and CSV are written as the images are read (a large folder shows its progress, and a run
        // stopped halfway keeps its rows); JSON is one document, written at the end.
        const write = (text: string) => format !== 'json' && process.stdout.write(text);
        const readFile = imageFileReader(); // a document's pages share one read of its file
        const debug = opts.debug ? lineWriter(opts.debug) : undefined;
        // Rows written to a file or a pipe, or JSON, show nothing on the screen until the end: a bar on stderr does.
        const rowsOnScreen = format !== 'json' && Boolean(process.stdout.isTTY);
        const progress = countProgress(images.length, 'images', { rowsOnScreen });
        if (opts.layout === 'lines') {
          const pages: PageResult[] = [];
          if (format === 'csv') write(pagesCsvHeader(opts.topK, judged));
          const inFlight = reader.prepareWorkers + 1;
          const read = readPages(
            reader,
            images,
            readFile,
            options,
            { columns: opts.columns },
            inFlight,
            debug,
          );
          for await (const page of read) {
            pages.push(page);
            progress.add(1);
            write(format === 'csv' ? pageCsvRows(page, opts.topK, judged) : `${formatPage(page)}\n`);
          }
          progress.stop();
          if (format === 'json') printJson({ model: reader.info.id, layout: 'lines', results: pages });
          if (pages.some((p) => p.error)) process.exitCode = 1;
          return;
        }
        // Images are prepared and read 32 at a time: one onnxruntime run per width bucket of a chunk.
        const results: ReadResult[] = [];
        if (format === 'csv') write(csvHeader(opts.topK, judged));
        for (let s = 0; s < images.length; s += 32) {
          const chunk = images.slice(s, s + 32);
          const files = chunk.map((image) => image.name);
          const prepared = await Promise.allSettled(
            chunk.map(async (image) => reader.prepare(await readFile(image), pageOf(image))),
          );
          const ok = prepared.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
          if (debug)
            for (const [i, p] of prepared.entries()) {
              const name = debug.nameOf(chunk[i]!); // every image named, read or not, as in --layout lines
              if (p.status === 'fulfilled') await debug.write(name, [p.value], false);
            }
          const probs = await reader.infer(ok);
          let k = 0;
          prepared.forEach((p, i) => {
            if (p.status === 'fulfilled') {
              const { box, skew } = p.value;
              results.push({
                file: files[i]!,
                reading: judgeReading(
                  { ...reader.decode(probs[k++]!, compiled), box, skew },
                  opts.minConfidence,
                ),
              });
              return;
            }
            if (!(p.reason instanceof HcrError)) throw p.reason;
            results.push({ file: files[i]!, error: rowError(p.reason, 'read') });
          });
          for (const r of results.slice(s))
            write(
              format === 'csv'
                ? csvRowOf(r, opts.topK, judged)
                : format === 'tsv'
                  ? labelsRowOf(r)
                  : `${formatResult(r)}\n`,
            );
          progress.add(chunk.length);
        }
        progress.stop();
        if (format === 'json') printJson({ model: reader.info.id, results });
        if (results.some((r) => r.error)) process.exitCode = 1;
      } finally {
        await reader.close();
      }
    });
}

/** `--debug`: the lines of each image as the reader saw them, written to a folder. */
interface LineWriter {
  /** The name of an image's files (asked in the order the images are given, so the names follow it). */
  nameOf(image: ImageInput): string;
  /** <name>.line.png for an image read as one line; a page's lines (`numbered`) <name>.line1.png, .line2.png, ... */
  write(name: string, lines: readonly PreparedLine[], numbered: boolean): Promise<void>;
}

function lineWriter(dir: string): LineWriter {
  return {
    nameOf: debugNamer(),
    async write(name, lines, numbered) {
      for (const [i, l] of lines.entries()) {
        const file = join(dir, `${name}.line${numbered ? i + 1 : ''}.png`);
        await writeFileAtomic(file, await encodeGreyPng(l.pixels, l.width, l.height));
      }
    },
  };
}

/** A word list's file, also when given as hcr serve's NAME=FILE (its name is not needed here). */
function listFile(spec: string): string {
  if (existsSync(spec)) return spec;
  const named = /^[A-Za-z0-9_.-]+=(.+)$/.exec(spec);
  return named ? named[1]! : spec;
}

/**
 * Worker threads that prepare the images (decode, draw a PDF page, find and cut the lines) while this thread
 * reads the ones prepared: one per core for several pages of documents or several photos, none for one image or
 * for small crops, which this thread prepares faster than workers start (the 466 dev names, 5 kB each: 4.1 s
 * without workers, 4.4 s with two).
 */
async function prepareWorkersFor(images: readonly ImageInput[]): Promise<number> {
  if (images.length < 2) return 0;
  const sizes = await Promise.all(
    [...new Set(images.map((i) => i.file))].map((f) =>
      stat(f).then(
        (s) => s.size,
        () => 0,
      ),
    ),
  );
  const meanBytes = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  const documents = images.some((i) => i.page !== undefined);
  return documents || meanBytes >= LARGE_IMAGE_BYTES
    ? Math.min(availableParallelism(), MAX_PREPARE_WORKERS)
    : 0;
}

const MAX_PREPARE_WORKERS = 4;
/** Files this large on average (a photo, a scan of a page) are worth preparing in workers. */
const LARGE_IMAGE_BYTES = 32 * 1024;

/**
 * Each file's lines of writing, in the order given, `inFlight` files read at once (each page of a PDF drawn by a
 * worker of its own); a file that cannot be read gets its error.
 */
async function* readPages(
  reader: LineReader,
  images: ImageInput[],
  readFile: (image: ImageInput) => Promise<Uint8Array>,
  options: ReadOptions,
  layout: TextLinesOptions,
  inFlight: number,
  debug?: LineWriter,
): AsyncGenerator<PageResult> {
  // Settled to a value, so a file read ahead that fails is not an unhandled rejection while an earlier one is awaited.
  const readPage = (image: ImageInput): Promise<PageResult | { fatal: unknown }> => {
    const named = debug?.nameOf(image); // before any await: the names follow the order given
    return readFile(image)
      .then(async (bytes) => {
        const lines = await reader.prepareLines(bytes, { ...layout, ...pageOf(image) });
        if (debug) await debug.write(named!, lines, true);
        return reader.readPreparedLines(lines, options);
      })
      .then(
        (reading) => ({ file: image.name, reading }),
        (e) => (e instanceof HcrError ? { file: image.name, error: rowError(e, 'read') } : { fatal: e }),
      );
  };
  const pending = images.slice(0, inFlight).map(readPage);
  for (let next = pending.length; pending.length > 0; ) {
    const result = await pending.shift()!;
    if (next < images.length) pending.push(readPage(images[next++]!));
    if ('fatal' in result) throw result.fatal;
    yield result;
  }
}

/** CSV of pages: one row per line of writing (file, line number from 1, box, then the reading's columns). */
function pagesCsvHeader(topK: number, judged: boolean): string {
  return csvRow(['file', 'line', ...PLACEMENT_COLUMNS, ...readingColumns(topK, judged), 'error']);
}

function pageCsvRows(p: PageResult, topK: number, judged: boolean): string {
  if (!p.reading)
    return csvRow([
      p.file,
      ...Array(1 + PLACEMENT_COLUMNS.length + readingColumns(topK, judged).length).fill(undefined),
      p.error && errorLine(p.error),
    ]);
  return p.reading.lines
    .map((l, i) =>
      csvRow([p.file, String(i + 1), ...placementCells(l), ...readingCells(l, topK, judged), undefined]),
    )
    .join('');
}

/** Where a line's writing lay: its box in the image as sent, and the degrees it leaned (turned back). */
const PLACEMENT_COLUMNS = ['x', 'y', 'width', 'height', 'skew'];

function placementCells(r: LineReading | undefined): (string | undefined)[] {
  if (!r?.box) return PLACEMENT_COLUMNS.map(() => undefined);
  const { x, y, width, height } = r.box;
  return [x, y, width, height, r.skew ?? 0].map(String);
}

/**
 * A reading's CSV columns: its text and confidence (0-1), with --min-confidence its answer (empty when not
 * confident) and verdict, then each alternative after it.
 */
function readingColumns(topK: number, judged: boolean): string[] {
  const ranks = Array.from({ length: topK - 1 }, (_, i) => i + 2);
  return [
    'text',
    'confidence',
    ...(judged ? ['answer', 'verdict'] : []),
    ...ranks.flatMap((k) => [`text_${k}`, `confidence_${k}`]),
  ];
}

function readingCells(r: LineReading | undefined, topK: number, judged: boolean): (string | undefined)[] {
  const after = Array.from({ length: topK - 1 }, (_, i) => r?.alternatives[i + 1]);
  return [
    r?.text,
    r?.confidence.toFixed(4),
    ...(judged ? [r?.answer ?? undefined, r?.verdict] : []),
    ...after.flatMap((a) => [a?.text, a?.confidence.toFixed(4)]),
  ];
}

function formatPage(p: PageResult): string {
  if (p.error) return `${p.file}  error ${errorLine(p.error)}`;
  const lines = p.reading!.lines;
  return [
    `${p.file}  ${lines.length} line${lines.length === 1 ? '' : 's'}`,
    ...lines.map((l, i) => formatResult({ file: `  ${i + 1}`, reading: l })),
  ].join('\n');
}

/**
 * CSV: file, the text and its confidence (0-1), the alternatives after it, where the writing lay, and the
 * error for files that could not be read.
 */
function csvHeader(topK: number, judged: boolean): string {
  return csvRow(['file', ...readingColumns(topK, judged), ...PLACEMENT_COLUMNS, 'error']);
}

function csvRowOf(r: ReadResult, topK: number, judged: boolean): string {
  return csvRow([
    r.file,
    ...readingCells(r.reading, topK, judged),
    ...placementCells(r.reading),
    r.error && errorLine(r.error),
  ]);
}

/**
 * `--format tsv`: `file TAB text`, the row `hcr data lines import` reads from labels.tsv (the text as read, to be
 * corrected by hand). An image that could not be read, or a name a TSV row cannot hold, is left out and said on stderr.
 */
function labelsRowOf(r: ReadResult): string {
  if (r.error) {
    log(`left out ${r.file}: ${r.error.code} (${r.error.message})`);
    return '';
  }
  if (/[\t\r\n]/.test(r.file)) {
    log(
      `left out ${JSON.stringify(r.file)}: a TAB or line break in its name cannot be written in labels.tsv`,
    );
    return '';
  }
  return `${r.file}\t${r.reading!.text}\n`;
}

function formatResult(r: ReadResult): string {
  if (r.error) return `${r.file}  error ${errorLine(r.error)}`;
  const { text, confidence, alternatives, skew, verdict, constraintUnsatisfied } = r.reading!;
  const pct = (c: number) => `${(c * 100).toFixed(1)}%`;
  const rest = alternatives
    .slice(1)
    .map((a) => `${JSON.stringify(a.text)} ${pct(a.confidence)}`)
    .join(', ');
  const shown = constraintUnsatisfied
    ? out.dim('(no text fits the class, pattern or lexicon asked for)')
    : text === ''
      ? out.dim('(nothing read)')
      : out.bold(JSON.stringify(text));
  const leaned = skew ? out.dim(`  (leaned ${skew}°, turned flat)`) : '';
  // --min-confidence: the text is still shown (a guess to check by hand), marked as no answer.
  const judged = verdict === 'not-confident' ? `  ${out.bold('no confident answer')}` : '';
  return `${r.file}  ${shown}  ${pct(confidence)}${judged}${rest ? out.dim(`  (then ${rest})`) : ''}${leaned}`;
}
