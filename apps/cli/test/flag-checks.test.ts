import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hcr } from './support/run-hcr.js';

describe('hcr export onnx: --images, --samples and --tolerance are checked before exporting', () => {
  it.each([
    ['--images', 'abc', "--images must be a whole number of at least 0, got 'abc'."],
    ['--images', '-5', "--images must be a whole number of at least 0, got '-5'."],
    ['--samples', '0.4', "--samples must be a whole number of at least 1, got '0.4'."],
    ['--samples', '0', "--samples must be a whole number of at least 1, got '0'."],
    ['--tolerance', '0', "--tolerance must be a positive number, got '0'."],
    // Number() alone reads a hexadecimal 16 and an empty 0
    ['--tolerance', '0x10', "--tolerance must be a positive number, got '0x10'."],
    ['--tolerance', ' ', "--tolerance must be a positive number, got ' '."],
  ])('%s %s', async (flag, value, message) => {
    const model = join(mkdtempSync(join(tmpdir(), 'hcr-export-flags-')), 'no-model');
    const r = await hcr('export', 'onnx', model, flag, value, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'BAD_OPTION', message });
  });
});

describe('files and folders to write are checked before the work', () => {
  it('hcr data preview / lines preview -o <a folder>, or under a file: an error before the dataset is opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-preview-out-'));
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'x');
    const noData = join(dir, 'no-dataset');
    for (const args of [
      ['data', 'preview'],
      ['data', 'lines', 'preview'],
    ]) {
      const folder = await hcr(...args, '--dir', noData, '-o', dir);
      expect(folder.code, folder.err).toBe(1);
      expect(folder.err).toContain(`${dir} is a directory; -o names the file to write.`);
      const under = await hcr(...args, '--dir', noData, '-o', join(file, 'x.png'));
      expect(under.code).toBe(1);
      expect(under.err).toContain(`${file} is a file, not a folder to write in.`);
    }
  });

  it.each(['predict', 'read'])(
    'hcr %s --debug <a file>: an error before the model loads',
    async (command) => {
      const dir = mkdtempSync(join(tmpdir(), 'hcr-debug-file-'));
      const file = join(dir, 'debug.txt');
      writeFileSync(file, 'x');
      const r = await hcr(command, file, '--model', join(dir, 'no-model.onnx'), '--debug', file, '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).error).toMatchObject({
        code: 'OUTPUT_NOT_A_FOLDER',
        message: `${file} is a file; --debug names the folder to write into.`,
      });
    },
  );
});

describe('hcr data lines prepare --workers', () => {
  it.each(['abc', '0', '-1', '1.5', '65'])(
    '--workers %s is refused before anything is read',
    async (value) => {
      const dir = mkdtempSync(join(tmpdir(), 'hcr-lines-workers-'));
      const r = await hcr(
        'data',
        'lines',
        'prepare',
        '--workers',
        value,
        '--config',
        join(dir, 'no-config.json'),
        '--out',
        join(dir, 'out'),
        '--json',
      );
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).error).toMatchObject({
        code: 'BAD_OPTION',
        message: `--workers must be a whole number from 1 to 64, got '${value}'.`,
      });
    },
  );
});

describe('hcr read: a reader list of none', () => {
  it.each([
    ['--model', ','],
    ['--reader', ' , '],
  ])('%s %j is refused in the command line’s words', async (flag, value) => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-empty-readers-'));
    const r = await hcr('read', join(dir, 'x.png'), flag, value, '--json');
    expect(r.code).toBe(1);
    const { error } = JSON.parse(r.out);
    expect(error).toMatchObject({
      code: 'BAD_OPTION',
      message: `${flag} '${value}' names no reader model file.`,
    });
    expect(r.err).not.toContain('createLineReader');
  });
});
