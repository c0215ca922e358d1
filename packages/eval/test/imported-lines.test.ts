import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_SPACE_62, LINE_ALPHABET_36, lineAlphabet } from '@hcr/core';
import { writeImportedLines } from '@hcr/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSyntheticLines } from '../src/lines/sources.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-eval-imported-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('imported lines in eval (--lines <imported dataset>)', () => {
  it('reads their test split under their folder’s name, not as the synthetic test lines', async () => {
    const lines = Array.from({ length: 80 }, (_, i) => ({
      id: `images/${i}.png`,
      text: i % 2 ? 'ALPHA' : '12.50',
      width: 40 + i,
      pixels: new Uint8Array((40 + i) * 32).fill(i),
    }));
    const out = join(dir, 'forms');
    const r = await writeImportedLines(lines, {
      outDir: out,
      alphabet: LINE_ALPHABET_36,
      height: 32,
      kind: 'amount',
      source: { name: 'my-forms', labelsSha256: '1'.repeat(64), rows: 80 },
    });
    const set = await loadSyntheticLines(out);
    expect(set.name).toBe('my-forms-test');
    expect(set.lines).toHaveLength(r.manifest.counts.test.lines);
    expect(set.lines.every((l) => l.kind === 'amount' && ['ALPHA', '12.50'].includes(l.truth))).toBe(true);
    expect(set.manifestSha256).toBe(r.manifestSha256);
    // read by a reader of another alphabet: refused, naming the command that makes lines for it
    await expect(loadSyntheticLines(out, lineAlphabet(LABEL_SPACE_62))).rejects.toMatchObject({
      code: 'LINE_ALPHABET_MISMATCH',
      message: expect.stringContaining('written in hcr36-line; the reader reads hcr62-line'),
      hint: expect.stringContaining('`hcr data lines prepare --labels 62 --out <dir>`'),
    });
  });
});
