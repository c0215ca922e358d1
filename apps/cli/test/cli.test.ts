import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { initEngine } from '@hcr/engine';
import { encodeGreyPng } from '@hcr/serve-onnx';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTinyModel, saveLayersModel, saveTinyReaderRun } from '../../../packages/eval/test/fixtures.js';
import { asBmp } from '../../../packages/serve-onnx/test/support/bmp.js';
import { FIXTURE_MODEL, HANDWRITING_DIR } from '../../../packages/serve-onnx/test/support/models.js';
import { PHOTOS, RANDOM_READER } from '../../../packages/serve-onnx/test/support/paths.js';
import { csvField } from '../src/csv.js';
import { wantsColour } from '../src/output.js';
import { hcr } from './support/run-hcr.js';

const ROOT = resolve(import.meta.dirname, '../../..');
/** Committed test images: line-7140.heic is a HEIC photo as libheif writes it. */
const HEIC_DIR = join(ROOT, 'packages/serve-onnx/test/support');
const run = promisify(execFile);
const ESC = '\u001b[';

/** A dark vertical stroke on white paper, 56x56, PNG-encoded: a character the recogniser can read. */
function barPng(column: number): Promise<Uint8Array> {
  const pixels = new Uint8Array(56 * 56).fill(255);
  for (let y = 8; y < 48; y++) for (let x = column; x < column + 6; x++) pixels[y * 56 + x] = 0;
  return encodeGreyPng(pixels, 56, 56);
}

/** A strict RFC 4180 reader for the test: quoted fields, doubled quotes, commas and newlines inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (c === '"') {
      if (field !== '') throw new Error(`stray quote at ${i}`);
      quoted = true;
    } else if (c === ',') endField();
    else if (c === '\n') {
      endField();
      rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) throw new Error('the last record has no newline');
  return rows;
}

describe('hcr --version and --help', () => {
  it('--version and -v print the @hcr/cli version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'apps/cli/package.json'), 'utf8'));
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-v']) {
      const r = await hcr(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${version}\n`);
    }
  });

  it('--help lists every command without loading tfjs, onnxruntime, canvas, sharp or fastify', async () => {
    const tracer = join(import.meta.dirname, 'support/trace-imports.mjs');
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--import', tracer, 'apps/cli/src/bin.ts', '--help'],
      { cwd: ROOT },
    );
    for (const c of ['data', 'export', 'serve', 'predict', 'read', 'train', 'eval', 'bench'])
      expect(stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const loaded = stderr.split('\n').filter((l) => l.startsWith('resolved '));
    expect(loaded.some((l) => l.includes('commander'))).toBe(true); // the tracer works
    for (const heavy of [
      'tfjs',
      'onnxruntime',
      'canvas',
      'sharp',
      'fastify',
      '@hcr/serve-onnx',
      'packages/data',
    ])
      expect(loaded.filter((l) => l.includes(heavy))).toEqual([]);
  });

  it('`hcr predict` loads the recogniser without the HTTP stack', async () => {
    const image = join(mkdtempSync(join(tmpdir(), 'hcr-trace-')), 'bar.png');
    writeFileSync(image, await barPng(25));
    const tracer = join(import.meta.dirname, 'support/trace-imports.mjs');
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--import', tracer, 'apps/cli/src/bin.ts', 'predict'].concat(
        ['--model', FIXTURE_MODEL, image],
      ),
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(stdout).toMatch(/bar\.png {2}[0-9A-Z] /);
    const loaded = stderr.split('\n').filter((l) => l.startsWith('resolved '));
    expect(loaded.some((l) => l.includes('onnxruntime'))).toBe(true);
    for (const heavy of ['fastify', 'pino', 'tfjs', 'canvas'])
      expect(loaded.filter((l) => l.includes(heavy))).toEqual([]);
  });

  it('`hcr predict --help` loads its own command', async () => {
    const r = await hcr('predict', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--format <format>/);
  });
});

describe('colour, decided per stream', () => {
  it('follows FORCE_COLOR, then NO_COLOR, then whether the stream is a terminal', () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(wantsColour(tty, {})).toBe(true);
    expect(wantsColour(pipe, {})).toBe(false);
    expect(wantsColour(tty, { TERM: 'dumb' })).toBe(false);
    expect(wantsColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(tty, { NO_COLOR: '' })).toBe(true); // no-color.org: only a non-empty value counts
    expect(wantsColour(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(wantsColour(tty, { FORCE_COLOR: '0' })).toBe(false);
    expect(wantsColour(tty, { FORCE_COLOR: 'false', NO_COLOR: '' })).toBe(false);
  });

  describe('predict with stdout redirected and stderr a terminal', () => {
    const saved = {
      out: process.stdout.isTTY,
      err: process.stderr.isTTY,
      env: { ...process.env },
    };
    afterEach(() => {
      process.stdout.isTTY = saved.out;
      process.stderr.isTTY = saved.err;
      process.env = { ...saved.env };
    });

    it('writes results without escape codes, while errors on the terminal stay coloured', async () => {
      delete process.env.FORCE_COLOR;
      delete process.env.NO_COLOR;
      delete process.env.TERM;
      const image = join(mkdtempSync(join(tmpdir(), 'hcr-colour-')), 'bar.png');
      writeFileSync(image, await barPng(25));
      process.stderr.isTTY = true;
      process.stdout.isTTY = false;
      const redirected = await hcr('predict', '--model', FIXTURE_MODEL, image);
      expect(redirected.code, redirected.err).toBe(0);
      expect(redirected.out).toMatch(/bar\.png {2}[0-9A-Z] {2}\d+\.\d%/);
      expect(redirected.out).not.toContain(ESC);
      const failed = await hcr('predict', '--model', FIXTURE_MODEL, '--top-k', 'x', image);
      expect(failed.err).toContain(`${ESC}31merror`);
      // and the other way round: a terminal on stdout gets its colours, a redirected stderr none
      process.stdout.isTTY = true;
      process.stderr.isTTY = false;
      const onTerminal = await hcr('predict', '--model', FIXTURE_MODEL, image);
      expect(onTerminal.out).toContain(`${ESC}1m`);
      expect((await hcr('predict', '--model', FIXTURE_MODEL, '--top-k', 'x', image)).err).not.toContain(ESC);
    });
  });
});

describe('hcr predict DIR', () => {
  /**
   * root/a.png, root/sub/deep/7-0.jpg, root/sub/photo.HEIC (an iPhone's format), root/sub/scan.BMP,
   * root/sub/UPPER.PNG, root/sub/we,"ird".png; skipped:
   * notes.txt, .hidden/x.png
   */
  async function imageTree(): Promise<{ root: string; images: string[] }> {
    const root = mkdtempSync(join(tmpdir(), 'hcr-predict-dir-'));
    mkdirSync(join(root, 'sub/deep'), { recursive: true });
    mkdirSync(join(root, '.hidden'));
    writeFileSync(join(root, 'a.png'), await barPng(20));
    writeFileSync(join(root, 'sub/UPPER.PNG'), await barPng(26));
    writeFileSync(join(root, 'sub/scan.BMP'), await asBmp(Buffer.from(await barPng(28))));
    copyFileSync(join(HEIC_DIR, 'line-7140.heic'), join(root, 'sub/photo.HEIC'));
    writeFileSync(join(root, 'sub/we,"ird".png'), await barPng(30));
    copyFileSync(join(HANDWRITING_DIR, '7-0.jpg'), join(root, 'sub/deep/7-0.jpg'));
    writeFileSync(join(root, 'notes.txt'), 'not an image');
    writeFileSync(join(root, '.hidden/x.png'), await barPng(24));
    const images = [
      'a.png',
      'sub/UPPER.PNG',
      'sub/deep/7-0.jpg',
      'sub/photo.HEIC',
      'sub/scan.BMP',
      'sub/we,"ird".png',
    ].map((f) => join(root, f));
    return { root, images };
  }

  it.skipIf(!PHOTOS)('--format csv: a header and one quoted row per image found recursively', async () => {
    const { root, images } = await imageTree();
    const r = await hcr('predict', root, '--model', FIXTURE_MODEL, '--format', 'csv', '--top-k', '2');
    expect(r.code, r.err).toBe(0);
    const rows = parseCsv(r.out);
    expect(rows[0]).toEqual([
      'file',
      'label',
      'confidence',
      'label_2',
      'confidence_2',
      'answer',
      'verdict',
      'error',
    ]);
    expect(rows.slice(1).map((row) => row[0])).toEqual(images);
    for (const row of rows.slice(1)) {
      expect(row).toHaveLength(8);
      expect(row[1]).toMatch(/^[0-9A-Z]$/);
      expect(Number(row[2])).toBeGreaterThan(0);
      expect(Number(row[2])).toBeGreaterThanOrEqual(Number(row[4]));
      // the answer is the label when accepted, empty otherwise
      expect(row[5]).toBe(row[6] === 'accepted' ? row[1] : '');
      expect(row[7]).toBe('');
    }
    expect(rows.find((row) => row[0]!.endsWith('7-0.jpg'))![1]).toBe('7');
    expect(r.out).toContain(`${csvField(join(root, 'sub/we,"ird".png'))},`);
    expect(csvField('we,"ird".png')).toBe('"we,""ird"".png"');
  });

  it.skipIf(!PHOTOS)(
    'an unreadable file gets a row with its error; --json and --format csv together are refused',
    async () => {
      const { root } = await imageTree();
      const missing = join(root, 'missing.png');
      const r = await hcr('predict', join(root, 'sub'), missing, '--model', FIXTURE_MODEL, '--format', 'csv');
      expect(r.code).toBe(1);
      const rows = parseCsv(r.out);
      expect(rows).toHaveLength(1 + 5 + 1);
      expect(rows.at(-1)![0]).toBe(missing);
      expect(rows.at(-1)!.at(-1)).toMatch(/Cannot read .*missing\.png/);
      const both = await hcr('predict', root, '--model', FIXTURE_MODEL, '--format', 'csv', '--json');
      expect(both.code).not.toBe(0);
      expect(both.err).toMatch(/--json and --format csv/);
    },
  );

  it('--debug writes one 28x28 picture per image, even for equal names in different folders', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hcr-debug-names-'));
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'b'));
    writeFileSync(join(root, 'a/1.png'), await barPng(20));
    writeFileSync(join(root, 'b/1.png'), await barPng(30));
    const out = mkdtempSync(join(tmpdir(), 'hcr-debug-out-'));
    const r = await hcr('predict', root, '--model', FIXTURE_MODEL, '--debug', out);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['1-2.28x28.png', '1.28x28.png']);
  });

  it('a folder without images is an error naming it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hcr-no-images-'));
    writeFileSync(join(empty, 'readme.txt'), 'x');
    const r = await hcr('predict', empty, '--model', FIXTURE_MODEL);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`The folder ${empty} has no images`);
  });
});

describe('hcr eval <reader.onnx>', () => {
  it('evaluates the file serving loads, in onnxruntime, and refuses tfjs and a character model', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hcr-eval-file-'));
    const base = ['--no-synthetic', '--limit', '2', '--out', out];
    const ok = await hcr('eval', RANDOM_READER, ...base, '--json');
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.out) as {
      model: { id: string };
      runtimes: { runtime: string }[];
      sources: { name: string }[];
    };
    expect(report.model.id).toBe('reader-random-seed3');
    expect(report.runtimes.map((r) => r.runtime)).toEqual(['onnx']);
    expect(report.sources.map((x) => x.name)).toEqual(['handwritten-names-dev', 'handwritten-amounts-dev']);
    expect(readdirSync(out)).toContain('reader-random-seed3');

    const tfjs = await hcr('eval', RANDOM_READER, ...base, '--runtime', 'both', '--force');
    expect(tfjs.code).not.toBe(0);
    expect(tfjs.err).toMatch(/onnxruntime only.*Use --runtime onnx/s);
    const character = await hcr('eval', FIXTURE_MODEL, ...base);
    expect(character.code).not.toBe(0);
    expect(character.err).toMatch(/not a line reader/);
  }, 120_000);

  it('reads folders of real labelled lines given with --real instead of the dev sets', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hcr-eval-real-'));
    const cheques = join(out, 'cheques');
    mkdirSync(join(cheques, 'images'), { recursive: true });
    writeFileSync(join(cheques, 'images', 'a.png'), await barPng(20));
    writeFileSync(join(cheques, 'images', 'b.png'), await barPng(30));
    writeFileSync(join(cheques, 'labels.tsv'), 'images/a.png\t1\nimages/b.png\t11\n');
    const base = ['--out', join(out, 'reports'), '--no-synthetic'];
    const ok = await hcr('eval', RANDOM_READER, '--real', `amounts=${cheques}`, ...base, '--json');
    expect(ok.code, ok.err).toBe(0);
    const report = JSON.parse(ok.out) as {
      sources: { name: string; count: number; constraints: { name: string }[] }[];
      targets: { source: string; constraint: string }[];
    };
    expect(report.sources.map((x) => [x.name, x.count])).toEqual([['cheques', 2]]);
    expect(report.sources[0]!.constraints.map((c) => c.name)).toEqual(['none', 'digits']);
    expect(report.targets).toContainEqual(
      expect.objectContaining({ source: 'cheques', constraint: 'digits' }),
    );

    const unknown = await hcr('eval', RANDOM_READER, '--real', `dates=${cheques}`, ...base);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toMatch(/names=<dir> or amounts=<dir>/);
    const missing = await hcr('eval', RANDOM_READER, '--real', `names=${join(out, 'nowhere')}`, ...base);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/labels\.tsv does not exist/);
    const character = await hcr('eval', FIXTURE_MODEL, '--real', `amounts=${cheques}`, ...base);
    expect(character.code).not.toBe(0);
    expect(character.err).toMatch(/not a line reader/);
  }, 120_000);
});

describe('hcr export onnx', () => {
  it('writes the ONNX file and its parity checks, with no tfjs banner in the output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-export-cli-'));
    await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
    await saveLayersModel(buildTinyModel(), dir);
    // A process of its own: tfjs greets the first use of its cpu backend once per process.
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts', 'export', 'onnx', dir].concat([
        '--samples',
        '2',
        '--images',
        '0',
      ]),
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
    );
    // The report is a log on stderr; stdout is kept for --json.
    expect(stderr).toMatch(/^ {2}ok {3}parity on 2 random/m);
    expect(stderr).toContain(`wrote ${join(dir, 'model.onnx')}`);
    expect(readdirSync(dir)).toContain('model.onnx');
    expect(`${stdout}${stderr}`).not.toMatch(/node backend|={10}/);
  }, 120_000);

  it('a line reader is checked on random lines, and says so instead of looking for character shards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-export-reader-'));
    await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
    await saveTinyReaderRun(dir, 'reader-tiny', 1);
    const r = await hcr('export', 'onnx', dir, '--samples', '2', '--json');
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { output: string; realImages: string };
    expect(out.output).toBe(join(dir, 'model.onnx'));
    expect(out.realImages).toMatch(/^a line reader: checked on random lines/);
  }, 120_000);
});

describe('pnpm hcr and the published bin', () => {
  it('prints only JSON with --json, and resolves relative paths from the directory it runs in', async () => {
    const dir = join(ROOT, 'apps/cli/test');
    const rel = join('..', '..', '..', 'packages/serve-onnx/test/fixtures/hcr-mlp.onnx');
    const image = join(mkdtempSync(join(tmpdir(), 'hcr-pnpm-')), 'bar.png');
    writeFileSync(image, await barPng(25));
    const { stdout } = await run('pnpm', ['hcr', 'predict', image, '--model', rel, '--json'], { cwd: dir });
    const doc = JSON.parse(stdout);
    expect(doc.results).toHaveLength(1);
    expect(doc.results[0].prediction.label).toMatch(/^[0-9A-Z]$/);
  });

  it('the published package runs built JavaScript; the repository runs the sources', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'hcr-cli-pack-'));
    // The manifest is what is checked: no prepack build (it needs every workspace package built first).
    await run('pnpm', ['pack', '--config.ignore-scripts=true', '--pack-destination', dest], {
      cwd: join(ROOT, 'apps/cli'),
    });
    const { stdout } = await run('tar', [
      '-xzOf',
      join(
        dest,
        `hcr-cli-${JSON.parse(readFileSync(join(ROOT, 'apps/cli/package.json'), 'utf8')).version}.tgz`,
      ),
      'package/package.json',
    ]);
    const published = JSON.parse(stdout);
    expect(published.bin).toEqual({ hcr: './dist/bin.js' });
    expect(published.files).not.toContain('bin');
    const local = JSON.parse(readFileSync(join(ROOT, 'apps/cli/package.json'), 'utf8'));
    expect(local.bin.hcr).toBe('./bin/hcr-dev.js');
  });
});
