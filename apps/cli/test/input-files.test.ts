import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RANDOM_READER } from '../../../packages/serve-onnx/test/support/paths.js';
import { FLAG_FILE_MAX_BYTES } from '../src/flags.js';
import { IMAGE_FILE_MAX_BYTES } from '../src/image-files.js';
import { hcr } from './support/run-hcr.js';

const FIXTURE_MODEL = resolve(__dirname, '../../../packages/serve-onnx/test/fixtures/hcr-mlp.onnx');
/** A character device that ends at once: what /dev/zero is, without a test that never ends when it regresses. */
const DEVICE = '/dev/null';

/** A file of `bytes` that takes no disk (sparse). */
function bigFile(name: string, bytes: number): string {
  const file = join(mkdtempSync(join(tmpdir(), 'hcr-big-')), name);
  writeFileSync(file, '');
  truncateSync(file, bytes);
  return file;
}

describe('files read whole are checked first: a device is refused, a huge file named with its size', () => {
  it.each(['list', 'add'])('hcr token %s --file <a device>: NOT_A_FILE naming it', async (command) => {
    const r = await hcr('token', command, ...(command === 'add' ? ['a'] : []), '--file', DEVICE);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `--file ${DEVICE} is a character device, not a file. Pass --file the path of a file on disk.`,
    );
  });

  it('hcr token list --file <a file over 64 MiB>: FILE_TOO_LARGE, not read', async () => {
    const file = bigFile('tokens', FLAG_FILE_MAX_BYTES + 1024 * 1024);
    const r = await hcr('token', 'list', '--file', file, '--json');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`--file ${file} is 65 MiB, more than the 64 MiB --file reads.`);
  });

  it.each(['--lexicon', '--lm'])(
    'hcr read %s <a device>: NOT_A_FILE before any image is read',
    async (flag) => {
      const image = join(mkdtempSync(join(tmpdir(), 'hcr-lexicon-')), 'none.png');
      const r = await hcr('read', image, '--reader', RANDOM_READER, flag, DEVICE);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`${flag} ${DEVICE} is a character device, not a file.`);
    },
  );

  it('a token file given as a pipe (process substitution) is still read', async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'hcr-fifo-')), 'tokens');
    execFileSync('mkfifo', [fifo]);
    createWriteStream(fifo).end('desk 0123456789abcdef0123 read\n');
    const r = await hcr('token', 'list', '--file', fifo);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('desk  read\n');
  });

  it.each([
    ['predict', '--model', FIXTURE_MODEL],
    ['read', '--reader', RANDOM_READER],
  ])('hcr %s <a device>: its row is NOT_A_FILE, the next file is read', async (command, flag, model) => {
    const missing = join(mkdtempSync(join(tmpdir(), 'hcr-device-')), 'none.png');
    const r = await hcr(command, DEVICE, missing, flag, model, '--json');
    expect(JSON.parse(r.out).results.map((row: { error: unknown }) => row.error)).toEqual([
      {
        code: 'NOT_A_FILE',
        message: `Cannot read ${DEVICE}: it is a character device, not a file.`,
        hint: 'Pass an image file, or - to read one from standard input.',
      },
      expect.objectContaining({ code: 'FILE_MISSING' }),
    ]);
  });

  it('hcr predict <an image file over 256 MiB>: FILE_TOO_LARGE naming its size, not read', async () => {
    const file = bigFile('huge.png', IMAGE_FILE_MAX_BYTES + 1024 * 1024);
    const r = await hcr('predict', file, '--model', FIXTURE_MODEL, '--json');
    expect(JSON.parse(r.out).results[0].error).toMatchObject({
      code: 'FILE_TOO_LARGE',
      message: `Cannot read ${file}: it is 257 MiB, more than the 256 MiB an image file may hold.`,
    });
  });
});
