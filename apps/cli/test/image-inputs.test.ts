import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeGreyPng } from '@hcr/serve-onnx';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FIXTURE_MODEL } from '../../../packages/serve-onnx/test/support/models.js';
import { expandImageArgs, imageFileReader } from '../src/image-files.js';
import { permissionRunner } from './support/as-other-user.js';
import { hcr } from './support/run-hcr.js';

const ROOT = resolve(import.meta.dirname, '../../..');
/** sharp, from @hcr/image (it writes the TIFF of several pages a fax is). */
const sharp: (
  pages: Uint8Array[],
  options: { join: { animated: boolean } },
) => { tiff(): { toBuffer(): Promise<Buffer> } } = createRequire(join(ROOT, 'packages/image/package.json'))(
  'sharp',
);

/** A dark vertical stroke on white paper, 56x56, PNG-encoded: a character the recogniser can read. */
function barPng(column: number): Promise<Uint8Array> {
  const pixels = new Uint8Array(56 * 56).fill(255);
  for (let y = 8; y < 48; y++) for (let x = column; x < column + 6; x++) pixels[y * 56 + x] = 0;
  return encodeGreyPng(pixels, 56, 56);
}

/** Rows of RFC 4180 CSV (quoted fields hold commas and doubled quotes, no newlines in these tests). */
const csvRows = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) =>
      [...l.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map((m) =>
        m[1]!.replace(/^"|"$/g, '').replaceAll('""', '"'),
      ),
    );

describe('hcr predict / read: one input that cannot be read does not stop the others', () => {
  const runner = permissionRunner();
  it.skipIf('skip' in runner)(
    `a subfolder that cannot be listed and a file that cannot be read are rows saying permission denied${'skip' in runner ? ` (skipped: ${runner.skip})` : ''}`,
    async () => {
      if ('skip' in runner) return;
      const root = mkdtempSync(join(tmpdir(), 'hcr-perm-'));
      for (const d of ['locked', 'ok']) mkdirSync(join(root, d));
      writeFileSync(join(root, 'ok/a.png'), await barPng(20));
      writeFileSync(join(root, 'locked/b.png'), await barPng(20));
      writeFileSync(join(root, 'secret.png'), await barPng(20));
      chmodSync(join(root, 'ok/a.png'), 0o644);
      chmodSync(join(root, 'ok'), 0o755);
      chmodSync(join(root, 'locked'), 0);
      chmodSync(join(root, 'secret.png'), 0);
      onTestFinished(() => chmodSync(join(root, 'locked'), 0o700)); // so that the run's temp dir can be removed
      const csv = await runner.run(root, 'predict', root, '--model', FIXTURE_MODEL, '--format', 'csv');
      expect(csv.code, csv.err).toBe(1);
      const rows = csvRows(csv.out);
      expect(rows.map((r) => r[0])).toEqual([
        'file',
        join(root, 'locked'),
        join(root, 'ok/a.png'),
        join(root, 'secret.png'),
      ]);
      expect(rows[1]!.at(-1)).toMatch(/^Cannot list the folder .*locked: permission denied\./);
      expect(rows[2]![1]).toMatch(/^[0-9A-Z]$/);
      expect(rows[3]!.at(-1)).toMatch(/^Cannot read .*secret\.png: permission denied\./);
      expect(csv.out).not.toContain('Check the path');
      const json = await runner.run(
        root,
        'predict',
        join(root, 'locked'),
        '--model',
        FIXTURE_MODEL,
        '--json',
      );
      expect(json.code).toBe(1);
      expect(JSON.parse(json.out).results).toEqual([
        { file: join(root, 'locked'), error: expect.objectContaining({ code: 'PERMISSION_DENIED' }) },
      ]);
    },
  );
});

describe('inputs that can be read only once: a pipe, standard input', () => {
  it('a pipe holding a TIFF of two pages is read once, its pages named from it, its bytes kept for each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-pipe-'));
    const fifo = join(dir, 'scan.fifo');
    execFileSync('mkfifo', [fifo]);
    const pages = [await barPng(10), await barPng(30)];
    const tiff: Buffer = await sharp(pages, { join: { animated: true } })
      .tiff()
      .toBuffer();
    const other = join(dir, 'b.png');
    writeFileSync(other, pages[0]!);
    const writing = writeFile(fifo, tiff); // blocks until the fifo is opened for reading
    const inputs = await expandImageArgs([fifo, other]);
    await writing;
    expect(inputs.map((i) => [i.name, i.page])).toEqual([
      [`${fifo}#page=1`, 1],
      [`${fifo}#page=2`, 2],
      [other, undefined],
    ]);
    const read = imageFileReader();
    for (const input of inputs.slice(0, 2)) expect(Buffer.from(await read(input)).equals(tiff)).toBe(true);
    expect(Buffer.from(await read(inputs[2]!)).equals(Buffer.from(pages[0]!))).toBe(true);
  });

  it('hcr predict reads /dev/stdin and - (standard input), and the inputs after them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-stdin-'));
    const missing = join(dir, 'missing.png');
    const png = Buffer.from(await barPng(20));
    for (const name of ['/dev/stdin', '-']) {
      const r = await hcrWithStdin(
        png,
        'predict',
        name,
        missing,
        '--model',
        FIXTURE_MODEL,
        '--format',
        'csv',
      );
      expect(r.code, r.err).toBe(1);
      const rows = csvRows(r.out);
      expect(rows.map((row) => row[0])).toEqual(['file', name, missing]);
      expect(rows[1]![1]).toMatch(/^[0-9A-Z]$/);
      expect(rows[1]!.at(-1)).toBe('');
      expect(rows[2]!.at(-1)).toMatch(/^Cannot read .*missing\.png: no such file\./);
    }
  });
});

/** `hcr ...` in a child process with `input` on its standard input (a pipe). */
function hcrWithStdin(
  input: Uint8Array,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts', ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
      (e, out, err) => done({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }),
    );
    child.stdin!.end(input);
  });
}

describe('folders: linked subfolders', () => {
  it('a link to a folder is searched as the folder; a link back to a folder being searched is not followed again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hcr-links-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'hcr-linked-'));
    writeFileSync(join(elsewhere, 'b.png'), await barPng(20));
    symlinkSync(root, join(elsewhere, 'back')); // loops: root/linked/back is root
    writeFileSync(join(root, 'a.png'), await barPng(20));
    symlinkSync(elsewhere, join(root, 'linked'));
    symlinkSync(join(root, 'gone'), join(root, 'broken.png'));
    const inputs = await expandImageArgs([root]);
    expect(inputs.map((i) => i.name)).toEqual(
      ['a.png', 'broken.png', 'linked/b.png'].map((f) => join(root, f)),
    );
  });
});

describe('a folder without images among other inputs', () => {
  it('is a row with its error (NO_IMAGES), as a missing file is; alone (or with only such folders) it is the error', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hcr-no-images-'));
    const empty = join(root, 'notes');
    mkdirSync(empty);
    writeFileSync(join(empty, 'readme.txt'), 'x');
    const image = join(root, 'a.png');
    writeFileSync(image, await barPng(20));
    const r = await hcr('predict', empty, image, '--model', FIXTURE_MODEL, '--json');
    expect(r.code).toBe(1);
    const results = JSON.parse(r.out).results;
    expect(results.map((x: { file: string }) => x.file)).toEqual([empty, image]);
    expect(results[0].error).toMatchObject({
      code: 'NO_IMAGES',
      message: expect.stringContaining(`The folder ${empty} has no images`),
    });
    expect(results[1].prediction).toBeDefined();
    await expect(expandImageArgs([empty, empty])).rejects.toMatchObject({ code: 'NO_IMAGES' });
  });
});
