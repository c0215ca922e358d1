import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE_FORMATS_TEXT } from '@hcr/image/decode';
import { encodeGreyPng } from '@hcr/serve-onnx';
import { describe, expect, it } from 'vitest';
import { FIXTURE_MODEL } from '../../../packages/serve-onnx/test/support/models.js';
import { RANDOM_READER } from '../../../packages/serve-onnx/test/support/paths.js';
import { hcr } from './support/run-hcr.js';

/** Dark vertical strokes (at `columns`) on white paper, `width` x `height`, PNG-encoded. */
function strokes(width: number, height: number, columns: number[]): Promise<Uint8Array> {
  const pixels = new Uint8Array(width * height).fill(255);
  for (const c of columns)
    for (let y = 8; y < height - 8; y++) for (let x = c; x < c + 6; x++) pixels[y * width + x] = 0;
  return encodeGreyPng(pixels, width, height);
}

async function images(): Promise<Record<'empty' | 'text' | 'wide' | 'three', string>> {
  const dir = mkdtempSync(join(tmpdir(), 'hcr-row-errors-'));
  const files = {
    empty: join(dir, 'empty.png'),
    text: join(dir, 'text.png'),
    wide: join(dir, 'wide.png'),
    three: join(dir, 'three.png'),
  };
  writeFileSync(files.empty, '');
  writeFileSync(files.text, 'hello\n');
  writeFileSync(files.wide, await strokes(900, 40, [100, 400, 700]));
  writeFileSync(files.three, await strokes(120, 56, [15, 55, 95]));
  return files;
}

const PASS_A_FILE = `Pass a complete ${IMAGE_FORMATS_TEXT} file of the character or field.`;

describe('per-image errors: code, message and hint apart in JSON, one line in text and CSV, in the command line’s words', () => {
  it('hcr predict', async () => {
    const f = await images();
    const args = [f.empty, f.text, f.wide, f.three, '--model', FIXTURE_MODEL];
    const json = await hcr('predict', ...args, '--json');
    expect(json.code).toBe(1);
    const results = JSON.parse(json.out).results;
    expect(results[0].error).toEqual({
      code: 'IMAGE_UNDECODABLE',
      message: 'The image is empty (0 bytes).',
      hint: PASS_A_FILE,
    });
    expect(results[1].error).toMatchObject({ code: 'IMAGE_UNDECODABLE', hint: PASS_A_FILE });
    expect(results[1].error.message).not.toContain(PASS_A_FILE);
    expect(results[2].error).toEqual({
      code: 'IMAGE_TOO_ELONGATED',
      message: expect.stringMatching(/^The image is 900x40, 23 times wider than high/),
      hint: 'Crop the image to the one character; hcr read reads a word, number or line of writing.',
    });
    expect(results[3].prediction.message).toBe(
      'Not one character: 3 characters side by side (a word or a number); hcr read reads those.',
    );
    const csv = await hcr('predict', ...args, '--format', 'csv');
    const text = await hcr('predict', ...args);
    for (const out of [json.out, csv.out, text.out]) expect(out).not.toMatch(/content-type|POST \/v1/);
    expect(csv.out.split('\n')[1]).toBe(`${f.empty},,,,,,,,,"The image is empty (0 bytes). ${PASS_A_FILE}"`);
    expect(text.out.split('\n')[0]).toBe(`${f.empty}  error The image is empty (0 bytes). ${PASS_A_FILE}`);
  });

  it('hcr read', async () => {
    const f = await images();
    const json = await hcr('read', f.empty, '--model', RANDOM_READER, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out).results[0].error).toEqual({
      code: 'IMAGE_UNDECODABLE',
      message: 'The image is empty (0 bytes).',
      hint: PASS_A_FILE,
    });
    for (const layout of ['line', 'lines']) {
      const csv = await hcr('read', f.empty, '--model', RANDOM_READER, '--layout', layout, '--format', 'csv');
      expect(csv.out.trim().split('\n')[1]).toMatch(
        new RegExp(`,"The image is empty \\(0 bytes\\)\\. ${PASS_A_FILE}"$`),
      );
      expect(csv.out).not.toContain('content-type');
    }
  });
});
