import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLineReader,
  type LineReading,
  loadLexicons,
  parseLexiconSpec,
  readLexiconFile,
} from '../src/index.js';
import { columnsScan, lineScan, pageScan, uniform } from './support/line-synth.js';
import { FIXTURE_MODEL } from './support/models.js';
import { RANDOM_READER, RANDOM_READER_SEED4 } from './support/paths.js';
import { HCR_ARGS, ROOT, runHcr } from './support/run-hcr.js';

const run = (args: string[]) => runHcr(args, { HCR_READER: '' });

describe('lexicon files', () => {
  it('reads one word per line, skipping blanks and comments; missing or empty files name the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hcr-lex-'));
    try {
      await writeFile(join(dir, 'names.txt'), '# surnames\r\nMARTIN\n\n  DUPONT  \n');
      await writeFile(join(dir, 'empty.txt'), '\n# none\n');
      await expect(readLexiconFile(join(dir, 'names.txt'))).resolves.toEqual(['MARTIN', 'DUPONT']);
      await expect(readLexiconFile(join(dir, 'empty.txt'))).rejects.toMatchObject({
        code: 'LEXICON_EMPTY',
        message: expect.stringContaining('empty.txt'),
      });
      await expect(readLexiconFile(join(dir, 'none.txt'))).rejects.toMatchObject({
        code: 'LEXICON_MISSING',
        message: expect.stringContaining('none.txt'),
      });
      expect(parseLexiconSpec('surnames=a/b.txt')).toEqual({ name: 'surnames', file: 'a/b.txt' });
      expect(parseLexiconSpec('lists/first names.txt')).toEqual({
        name: 'first_names',
        file: 'lists/first names.txt',
      });
      expect(() => parseLexiconSpec('bad name=x.txt')).toThrow(/NAME=FILE/);
      const both = await loadLexicons([`a=${join(dir, 'names.txt')}`, `b=${join(dir, 'names.txt')}`]);
      expect(Object.keys(both)).toEqual(['a', 'b']);
      await expect(
        loadLexicons([`a=${join(dir, 'names.txt')}`, `a=${join(dir, 'names.txt')}`]),
      ).rejects.toMatchObject({
        code: 'LEXICON_INVALID',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hcr read and hcr serve --reader/--lexicon', () => {
  let dir: string;
  let line: string;
  let blank: string;
  let words: string;
  let empty: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcr-read-'));
    line = join(dir, 'tax.png');
    blank = join(dir, 'blank.png');
    words = join(dir, 'words.txt');
    empty = join(dir, 'empty.txt');
    await writeFile(line, await lineScan('TAX'));
    await writeFile(blank, await uniform(300, 60));
    await writeFile(words, '# codes\nTAX\nLATTE\n\n');
    await writeFile(empty, '\n  \n# nothing\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints the text per image; --json holds text, confidence, characters and alternatives', async () => {
    // A line written uphill is turned flat before it is read, and says so (a long one: a short word's lean is
    // a guess, left alone).
    const uphill = join(dir, 'uphill.png');
    await sharp(await lineScan('7140 TAX 41'))
      .rotate(-8, { background: { r: 235, g: 235, b: 235 } })
      .toFile(uphill);
    // each run a process of its own, started together
    const [r, j, served, u] = await Promise.all([
      run(['read', '--model', RANDOM_READER, line, '--classes', 'digits', '--top-k', '2']),
      run(['read', '--model', RANDOM_READER, line, '--lexicon', words, '--json', '--beam', '4']),
      // hcr serve's spellings work too: --reader for the reader, NAME=FILE for a word list.
      run(['read', '--reader', RANDOM_READER, line, '--lexicon', `codes=${words}`, '--json', '--beam', '4']),
      run(['read', '--model', RANDOM_READER, uphill, line]),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/tax\.png {2}("[0-9]*"|\(nothing read\)) {2}\d+\.\d%/);
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc.model).toBe('reader-random-seed3');
    const reading = doc.results[0].reading;
    expect(Object.keys(reading).sort()).toEqual([
      'alternatives',
      'box',
      'characters',
      'confidence',
      'skew',
      'text',
    ]);
    expect(reading.skew).toBe(0);
    for (const a of reading.alternatives) expect(a.text).toMatch(/^(TAX|LATTE)([ -](TAX|LATTE))*$/);
    expect(served.code, served.stderr).toBe(0);
    expect(JSON.parse(served.stdout).results[0].reading.alternatives).toEqual(reading.alternatives);
    expect(u.stdout).toMatch(/uphill\.png .*\(leaned -[78](\.\d+)?°, turned flat\)\n/);
    expect(u.stdout).not.toMatch(/tax\.png .*leaned/);
  });

  it('--format tsv writes a labels.tsv draft (file TAB text) that `hcr data lines import` reads; unreadable images are left out', async () => {
    const folder = join(dir, 'to-label');
    await mkdir(join(folder, 'images'), { recursive: true });
    const texts = ['TAX', '7140', 'LATT', '4117', 'AXT', '70', 'TALL', '17']; // 7 train, 1 val lines
    for (const [i, text] of texts.entries())
      await writeFile(join(folder, 'images', `${i}.png`), await lineScan(text));
    await copyFile(blank, join(folder, 'images', 'blank.png'));
    const [r, asJson, lines] = await Promise.all([
      run(['read', '--model', RANDOM_READER, join(folder, 'images'), '--format', 'tsv']),
      run(['read', '--model', RANDOM_READER, join(folder, 'images'), '--json']),
      run(['read', '--model', RANDOM_READER, line, '--format', 'tsv', '--layout', 'lines']),
    ]);
    expect(r.code).toBe(1); // one image could not be read
    expect(r.stderr).toContain(`left out ${join(folder, 'images', 'blank.png')}: NO_INK`);
    const json = JSON.parse(asJson.stdout);
    const expected = json.results
      .filter((x: { reading?: unknown }) => x.reading)
      .map((x: { file: string; reading: { text: string } }) => `${x.file}\t${x.reading.text}`);
    expect(r.stdout.trim().split('\n')).toEqual(expected);
    expect(expected).toHaveLength(texts.length);
    // corrected by hand, and with the paths `cd to-label && hcr read images --format tsv` writes: what the import reads
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((row) => {
        const file = relative(folder, row.split('\t')[0]!);
        return `${file}\t${texts[Number(file.match(/(\d+)\.png$/)![1])]}`;
      });
    await writeFile(join(folder, 'labels.tsv'), `${rows.join('\n')}\n`);
    const args = [
      'data',
      'lines',
      'import',
      folder,
      '--out',
      join(dir, 'labelled'),
      '--val',
      '0.5',
      '--test',
      '0',
    ];
    const imported = await run([...args, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ rows: texts.length, skipped: {} });
    expect(lines.stderr).toContain('--format tsv writes one row per image');
  });

  it('--min-confidence marks readings below it as no confident answer: in text, and as answer and verdict columns in CSV', async () => {
    // the runs that do not need the plain reading's confidence start beside it
    const [plainRun, c, bad] = await Promise.all([
      run(['read', '--model', RANDOM_READER, line, '--json']),
      run(['read', '--model', RANDOM_READER, line, '--min-confidence', '0', '--format', 'csv']),
      run(['read', '--model', RANDOM_READER, line, '--min-confidence', '80']),
    ]);
    const plain = JSON.parse(plainRun.stdout).results[0].reading;
    const above = Math.min(1, plain.confidence + 0.01).toFixed(4);
    const [t, jRun] = await Promise.all([
      run(['read', '--model', RANDOM_READER, line, '--min-confidence', above]),
      run(['read', '--model', RANDOM_READER, line, '--min-confidence', above, '--json']),
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/tax\.png {2}.* {2}\d+\.\d% {2}no confident answer/);
    const [header, row] = c.stdout.trim().split('\n');
    expect(header!.split(',').slice(0, 5)).toEqual(['file', 'text', 'confidence', 'answer', 'verdict']);
    const cells = row!.split(',');
    expect([cells[3], cells[4]]).toEqual([cells[1], 'accepted']);
    const j = JSON.parse(jRun.stdout);
    expect(j.results[0].reading).toMatchObject({ answer: null, verdict: 'not-confident' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--min-confidence must be a number from 0 to 1, got '80'/);
  });

  it('--layout lines reads every line of a note: a row per line in text and CSV, the lines in --json', async () => {
    const note = join(dir, 'note.png');
    await writeFile(note, (await pageScan(['7140', 'TAX', 'LATT 41'], { noise: 3 })).png);
    const spread = join(dir, 'spread.png');
    await writeFile(spread, (await pageScan(['7140', 'TAX', 'LATT 41'], { noise: 3, gap: 150 })).png);
    const columns = join(dir, 'columns.png');
    await writeFile(columns, (await columnsScan(['7140', 'TAX', 'LATT 41'], ['41 TAX', '70', 'ALT 1'])).png);
    const args = ['read', '--model', RANDOM_READER, note, blank, '--layout', 'lines', '--top-k', '2'];
    // each run a process of its own, started together
    const [t, spreadRun, docRun, csvRun, byColumnRun, byRow, bad] = await Promise.all([
      run(args),
      run(['read', '--model', RANDOM_READER, spread, '--json']),
      run([...args, '--json']),
      run([...args, '--format', 'csv']),
      run(['read', '--model', RANDOM_READER, columns, '--layout', 'lines', '--json']),
      run(['read', '--model', RANDOM_READER, columns, '--layout', 'lines', '--no-columns', '--json']),
      run(['read', '--model', RANDOM_READER, note, '--layout', 'page']),
    ]);
    expect(t.code).toBe(1); // the blank page is an error, named beside its file
    expect(t.stdout).toMatch(/note\.png {2}3 lines\n {2}1 {2}.*\n {2}2 {2}.*\n {2}3 {2}/);
    expect(t.stdout).toMatch(/blank\.png {2}error No writing found/);
    // Read as one field, lines spread over a page are refused, with the fix in the command line's terms.
    const asOne = JSON.parse(spreadRun.stdout);
    expect(asOne.results[0].error).toMatchObject({
      code: 'SEVERAL_LINES',
      hint: 'Read every line with --layout lines, or crop the image to the one field.',
    });
    const doc = JSON.parse(docRun.stdout);
    expect(doc.layout).toBe('lines');
    const page = doc.results[0].reading;
    expect(page.lines).toHaveLength(3);
    expect(page.text).toBe(page.lines.map((l: { text: string }) => l.text).join('\n'));
    expect(Object.keys(page.lines[0].box)).toEqual(['x', 'y', 'width', 'height']);
    const rows = csvRun.stdout.trim().split('\n');
    expect(rows[0]).toBe('file,line,x,y,width,height,skew,text,confidence,text_2,confidence_2,error');
    expect(rows.slice(1).map((r) => r.split(',')[1])).toEqual(['1', '2', '3', '']);
    // Two columns: read one after another, or (--no-columns) row by row across the page.
    const byColumn = JSON.parse(byColumnRun.stdout);
    expect(byColumn.results[0].reading.lines).toHaveLength(6);
    expect(JSON.parse(byRow.stdout).results[0].reading.lines.length).toBeLessThan(6);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--layout must be line or lines, got 'page'/);
  });

  it('--debug writes each line as the reader saw it: one per image (equal names kept apart), one per line of a page', async () => {
    const out = join(dir, 'debug');
    const other = join(dir, 'other');
    await mkdir(other, { recursive: true });
    await copyFile(line, join(other, 'tax.png'));
    const note = join(dir, 'debug-note.png');
    await writeFile(note, (await pageScan(['7140', 'TAX', 'LATT 41'], { noise: 3 })).png);
    const reader = await createLineReader({ model: RANDOM_READER });
    try {
      const r = await run([
        'read',
        '--model',
        RANDOM_READER,
        line,
        join(other, 'tax.png'),
        blank,
        '--debug',
        out,
      ]);
      expect(r.code).toBe(1); // the blank image is an error row, and has no line to write
      const seen = await reader.prepare(await readFile(line));
      // a grey PNG (one channel) holding the very pixels the reader takes
      const pixelsOf = (file: string) => sharp(join(out, file)).toColourspace('b-w').raw().toBuffer();
      for (const name of ['tax.line.png', 'tax-2.line.png']) {
        expect(await sharp(join(out, name)).metadata()).toMatchObject({
          width: seen.width,
          height: seen.height,
          channels: 1,
        });
        expect(new Uint8Array(await pixelsOf(name))).toEqual(seen.pixels);
      }
      expect(await readdir(out)).toHaveLength(2);
      const page = await run(['read', '--model', RANDOM_READER, note, '--layout', 'lines', '--debug', out]);
      expect(page.code, page.stderr).toBe(0);
      const lines = await reader.prepareLines(await readFile(note));
      expect(lines).toHaveLength(3);
      for (const [i, l] of lines.entries()) {
        expect(new Uint8Array(await pixelsOf(`debug-note.line${i + 1}.png`))).toEqual(l.pixels);
      }
    } finally {
      await reader.close();
    }
  });

  it('reads every image of a folder (subfolders too), each page of a PDF or fax TIFF; --format csv has a row per image, errors included', async () => {
    const folder = join(dir, 'scans');
    await mkdir(join(folder, 'batch 2'), { recursive: true });
    await copyFile(line, join(folder, 'a.png'));
    await writeFile(
      join(folder, 'batch 2', 'b.tif'),
      await sharp(await lineScan('7140'))
        .tiff()
        .toBuffer(),
    );
    // A scanning app's PDF: two fields scanned at 300 dpi, a page each.
    const pdf = await PDFDocument.create();
    const texts = ['7140', '41 TAX'];
    for (const text of texts) {
      const scan = await pdf.embedPng(await lineScan(text));
      const [w, h] = [(scan.width * 72) / 300, (scan.height * 72) / 300];
      pdf.addPage([w, h]).drawImage(scan, { x: 0, y: 0, width: w, height: h });
    }
    await writeFile(join(folder, 'batch 2', 'forms.pdf'), await pdf.save());
    // A fax of the first field twice: a TIFF of two pages (sharp writes pages of one size).
    const faxPages = [await lineScan(texts[0]!), await lineScan(texts[0]!)];
    await writeFile(
      join(folder, 'batch 2', 'fax.tif'),
      await sharp(faxPages, { join: { animated: true } })
        .tiff()
        .toBuffer(),
    );
    await writeFile(join(folder, 'notes.txt'), 'not an image');
    await writeFile(join(folder, 'broken.png'), 'no png');
    // the same two fields as PNGs, and the pages as hcr names them
    const pngs = join(dir, 'pages');
    await mkdir(pngs, { recursive: true });
    for (const [i, text] of texts.entries())
      await writeFile(join(pngs, `${i + 1}.png`), await lineScan(text));
    const named = join(folder, 'batch 2', 'forms.pdf#page=2');
    const forms = join(folder, 'batch 2', 'forms.pdf');
    const args = ['read', '--model', RANDOM_READER, folder, '--top-k', '2'];
    // each run a process of its own, started together
    const [j, pngsRun, oneRun, past, pagesRun, zero, c, both] = await Promise.all([
      run([...args, '--json']),
      run(['read', '--model', RANDOM_READER, pngs, '--top-k', '2', '--json']),
      run(['read', '--model', RANDOM_READER, named, '--json']),
      run(['read', '--model', RANDOM_READER, `${named.slice(0, -1)}9`, '--json']),
      // two lists of pages in one run (each a document of several pages: read by workers, as alone)
      run(['read', '--model', RANDOM_READER, `${forms}#page=2,1`, `${forms}#page=all`, '--json']),
      run(['read', '--model', RANDOM_READER, `${forms}#page=0`]),
      run([...args, '--format', 'csv']),
      run([...args, '--json', '--format', 'csv']),
    ]);
    const doc = JSON.parse(j.stdout);
    expect(doc.results.map((r: { file: string }) => r.file)).toEqual(
      [
        'a.png',
        join('batch 2', 'b.tif'),
        join('batch 2', 'fax.tif#page=1'),
        join('batch 2', 'fax.tif#page=2'),
        join('batch 2', 'forms.pdf#page=1'),
        join('batch 2', 'forms.pdf#page=2'),
        'broken.png',
      ].map((f) => join(folder, f)),
    );
    // Each page is rendered at the resolution it was scanned at, so it reads as the scan itself does.
    const asPngs = JSON.parse(pngsRun.stdout);
    const readings = (from: number) =>
      doc.results.slice(from, from + 2).map((r: { reading: LineReading }) => r.reading);
    expect(readings(4)).toEqual(asPngs.results.map((r: { reading: LineReading }) => r.reading));
    // One page named as hcr names its rows reads as that row; a page the file lacks is that row's error.
    const one = JSON.parse(oneRun.stdout);
    expect(one.results.map((r: { file: string }) => r.file)).toEqual([named]);
    expect(one.results[0].reading.text).toBe(doc.results[5].reading.text);
    expect(past.code).toBe(1);
    expect(JSON.parse(past.stdout).results[0].error).toMatchObject({ code: 'BAD_PAGE' });
    // Several pages named as HTTP's page names them: a list in the order named, or all of them.
    expect(pagesRun.code, pagesRun.stderr).toBe(0);
    const pages = JSON.parse(pagesRun.stdout).results;
    const listed = pages.slice(0, 2);
    expect(listed.map((r: { file: string }) => r.file)).toEqual([`${forms}#page=2`, `${forms}#page=1`]);
    expect(listed[0].reading.text).toBe(doc.results[5].reading.text);
    const all = pages.slice(2);
    expect(all.map((r: { file: string }) => r.file)).toEqual([`${forms}#page=1`, `${forms}#page=2`]);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toMatch(/forms\.pdf#page=0: "0" names page 0 \(pages count from 1\)/);
    // The fax's pages read as the same field saved as a TIFF of one page (b.tif).
    expect(readings(2)).toEqual([doc.results[1].reading, doc.results[1].reading]);
    expect(c.code).toBe(1); // broken.png
    const rows = c.stdout.trim().split('\n');
    expect(rows[0]).toBe('file,text,confidence,text_2,confidence_2,x,y,width,height,skew,error');
    doc.results.slice(0, 6).forEach((r: { file: string; reading: LineReading }, i: number) => {
      // no quoting: the paths hold spaces but no commas or quotes
      expect(rows[i + 1]!.startsWith(`${r.file},${r.reading.text},${r.reading.confidence.toFixed(4)},`)).toBe(
        true,
      );
      const { x, y, width, height } = r.reading.box!;
      expect(rows[i + 1]!.endsWith(`,${x},${y},${width},${height},${r.reading.skew},`)).toBe(true);
    });
    expect(rows[7]).toMatch(/broken\.png,,,,,.*not a PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF, HEIC or PDF/);
    expect(both.stderr).toMatch(/two different outputs/);
  }, 240_000); // eight runs of the CLI, each a new process, all at once

  it('stops quietly when the reader of its output closes the pipe (hcr read scans/ | head)', async () => {
    const folder = join(dir, 'many');
    await mkdir(folder, { recursive: true });
    for (let i = 0; i < 40; i++) await copyFile(line, join(folder, `line-${String(i).padStart(2, '0')}.png`));
    const child = spawn(process.execPath, [...HCR_ARGS, 'read', '--model', RANDOM_READER, folder], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', HCR_READER: '' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // The first rows arrive (32 images are read at a time), then the pipe is closed, as `head` does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });

  it('--model a.onnx,b.onnx reads with both readers as one ensemble', async () => {
    const r = await run(['read', '--model', `${RANDOM_READER},${RANDOM_READER_SEED4}`, line, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.model).toBe('reader-random-seed3+reader-random-seed4');
    const reader = await createLineReader({ model: [RANDOM_READER, RANDOM_READER_SEED4] });
    try {
      expect(doc.results[0].reading.text).toBe((await reader.read(await lineScan('TAX'), { topK: 3 })).text);
    } finally {
      await reader.close();
    }
  });

  it('hcr export ensemble packs readers into one file that reads as --model a.onnx,b.onnx', async () => {
    const packed = join(dir, 'ensemble.onnx');
    // one reader is refused; started beside the pack of two, and the read of the two as one
    const [pack, alone, two] = await Promise.all([
      run(['export', 'ensemble', RANDOM_READER, RANDOM_READER_SEED4, '-o', packed, '--json']),
      run(['export', 'ensemble', RANDOM_READER, '-o', join(dir, 'one.onnx')]),
      run(['read', '--model', `${RANDOM_READER},${RANDOM_READER_SEED4}`, line, '--json', '--top-k', '3']),
    ]);
    expect(pack.code, pack.stderr).toBe(0);
    const report = JSON.parse(pack.stdout);
    expect(report.members.map((m: { id: string }) => m.id)).toEqual([
      'reader-random-seed3',
      'reader-random-seed4',
    ]);
    expect(report.check).toMatchObject({ passed: true, maxAbsDiff: 0 });
    const one = await run(['read', '--model', packed, line, '--json', '--top-k', '3']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).results).toEqual(JSON.parse(two.stdout).results);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toMatch(/at least two readers/);
  });

  it('exits non-zero with the fix for bad images, patterns, lexicons, ranges and models', async () => {
    const cases: [string[], RegExp][] = [
      [['--pattern', '[0-9'], /Invalid pattern "\[0-9": unclosed/],
      [['--lexicon', join(dir, 'missing.txt')], /Cannot read the lexicon file .*missing\.txt/],
      [['--top-k', '0'], /--top-k must be a whole number from 1 to 20/],
      [['--no-columns'], /--no-columns applies only with --layout lines/],
    ];
    const [blankRun, noModel, ...runs] = await Promise.all([
      run(['read', '--model', RANDOM_READER, line, blank]),
      run(['read', '--model', join(dir, 'none.onnx'), line]),
      ...cases.map(([flags]) => run(['read', '--model', RANDOM_READER, line, ...flags])),
    ]);
    expect(blankRun!.code).toBe(1);
    expect(blankRun!.stdout).toMatch(/blank\.png {2}error No writing found/);
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![1].source).toBe(1);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
    expect(noModel!.code).toBe(1);
    expect(noModel!.stderr).toMatch(/Cannot read the line reader .*none\.onnx/);
  });

  it('notes that a case-merged reader reads lower-case letters of a pattern as capitals', async () => {
    const [lower, upper] = await Promise.all([
      run(['read', '--model', RANDOM_READER, line, '--pattern', '[A-Z][a-z]*']),
      run(['read', '--model', RANDOM_READER, line, '--pattern', '[A-Z0-9]*\\d']),
    ]);
    expect(lower.code, lower.stderr).toBe(0);
    expect(lower.stderr).toMatch(
      /reads case-merged text \(capitals\): the pattern's lower-case letters match their capitals/,
    );
    expect(upper.code, upper.stderr).toBe(0);
    expect(upper.stderr).not.toMatch(/case-merged/); // \d is a class, not a lower-case letter
  });

  it('hcr serve refuses a missing or empty lexicon file, naming it', async () => {
    const args = ['serve', '--model', FIXTURE_MODEL, '--reader', RANDOM_READER, '--port', '0'];
    const [missing, blankList] = await Promise.all([
      run([...args, '--lexicon', `names=${join(dir, 'missing.txt')}`]),
      run([...args, '--lexicon', `names=${empty}`]),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read the lexicon file .*missing\.txt/);
    expect(blankList.code).toBe(1);
    expect(blankList.stderr).toMatch(/empty\.txt has no words/);
  });

  it('hcr serve --reader --lexicon reads lines over HTTP next to characters', async () => {
    let child: ChildProcess | undefined = spawn(
      process.execPath,
      [
        ...HCR_ARGS,
        'serve',
        '--model',
        FIXTURE_MODEL,
        '--reader',
        RANDOM_READER,
        '--lexicon',
        `codes=${words}`,
        '--port',
        '0',
        '--log-level',
        'warn',
      ],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    try {
      const url = await new Promise<string>((res, rej) => {
        let err = '';
        child!.stderr!.on('data', (d) => {
          err += d;
          const m =
            /hcr serve: (http:\/\/127\.0\.0\.1:\d+) .*reader reader-random-seed3, lexicons codes/.exec(err);
          if (m) res(m[1]!);
        });
        child!.on('exit', (code) => rej(new Error(`serve exited ${code}: ${err}`)));
      });
      const model = (await (await fetch(`${url}/v1/model`)).json()) as { reader: { lexicons: string[] } };
      expect(model.reader.lexicons).toEqual(['codes']);
      const res = await fetch(`${url}/v1/read?lexicon=codes`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: await lineScan('TAX'),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { text: string }).text).toMatch(/^(TAX|LATTE)([ -](TAX|LATTE))*$/);
      const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      child = undefined;
    } finally {
      child?.kill('SIGKILL');
    }
  });

  it('hcr serve with no flags, in a directory after the pipeline, serves its character model and reader', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'hcr-after-pipeline-'));
    await mkdir(join(cwd, 'artifacts/model/pipeline'), { recursive: true });
    await mkdir(join(cwd, 'artifacts/model/reader'), { recursive: true });
    await copyFile(FIXTURE_MODEL, join(cwd, 'artifacts/model/pipeline/model.onnx'));
    await copyFile(RANDOM_READER, join(cwd, 'artifacts/model/reader/model.onnx'));
    // Run from that directory: tsx and the CLI by absolute path.
    const tsx = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
    const { HCR_MODEL: _m, HCR_READER: _r, ...inherited } = process.env;
    const env = { ...inherited, NO_COLOR: '1' };
    let child: ChildProcess | undefined = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        tsx,
        join(ROOT, 'apps/cli/src/bin.ts'),
        'serve',
        '--port',
        '0',
        '--log-level',
        'warn',
      ],
      { cwd, env },
    );
    try {
      const url = await new Promise<string>((res, rej) => {
        let err = '';
        child!.stderr!.on('data', (d) => {
          err += d;
          const m =
            /hcr serve: (http:\/\/127\.0\.0\.1:\d+) \(model fixture-mlp[^;]*; reader reader-random-seed3\)/.exec(
              err,
            );
          if (m) res(m[1]!);
        });
        child!.on('exit', (code) => rej(new Error(`serve exited ${code}: ${err}`)));
      });
      const model = (await (await fetch(`${url}/v1/model`)).json()) as { id: string; reader: { id: string } };
      expect(model.id).toMatch(/^fixture-mlp/);
      expect(model.reader.id).toBe('reader-random-seed3');
      const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      child = undefined;
    } finally {
      child?.kill('SIGKILL');
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
