import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataConfig } from '../src/config.js';
import { loadLineConfig, MAX_LINES_PER_SPLIT, resolveLineConfig } from '../src/lines/config.js';

const lineConfigError = (field: string) =>
  expect.objectContaining({ code: 'LINE_CONFIG', message: expect.stringContaining(`'${field}'`) });

describe('line config counts and seed out of range', () => {
  it('a count past MAX_LINES_PER_SPLIT (1e12 lines: years of rendering) is LINE_CONFIG naming the split', () => {
    expect(() => resolveLineConfig({ counts: { train: 1e12, val: 10, test: 10 } })).toThrow(
      lineConfigError('counts.train'),
    );
    expect(() =>
      resolveLineConfig({ counts: { train: 10, val: MAX_LINES_PER_SPLIT + 1, test: 10 } }),
    ).toThrow(lineConfigError('counts.val'));
  });

  it('no line in any split is LINE_CONFIG, not an empty dataset written', () => {
    expect(() => resolveLineConfig({ counts: { train: 0, val: 0, test: 0 } })).toThrow(
      lineConfigError('counts'),
    );
  });

  it('a seed past 32 bits is LINE_CONFIG, not silently another seed', () => {
    expect(() => resolveLineConfig({ seed: 1e20 })).toThrow(lineConfigError('seed'));
    expect(() => resolveLineConfig({ seed: 2 ** 32 })).toThrow(lineConfigError('seed'));
  });

  it('kind weights of an infinite sum are LINE_CONFIG, not lines of kinds the config gave no weight to', () => {
    expect(() => resolveLineConfig({ kindWeights: { name: 1e308, word: 1e308 } } as never)).toThrow(
      lineConfigError('kindWeights'),
    );
    expect(resolveLineConfig({ kindWeights: { name: 1e300, word: 1e300 } } as never).kindWeights.name).toBe(
      1e300,
    );
  });

  it('keeps the counts and seeds that make sense', () => {
    expect(resolveLineConfig({ counts: { train: 0, val: 0, test: 5 } }).counts.test).toBe(5);
    expect(resolveLineConfig({ counts: { train: MAX_LINES_PER_SPLIT, val: 0, test: 0 } }).counts.train).toBe(
      MAX_LINES_PER_SPLIT,
    );
    expect(resolveLineConfig({ seed: 0xffffffff }).seed).toBe(0xffffffff);
  });
});

describe('a config file with a bad field', () => {
  const file = (text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'hcr-config-')), 'my-config.json');
    writeFileSync(path, text);
    return path;
  };

  it('names that file, not configs/lines.json, in the line config error', async () => {
    const path = file('{"maxLength": 3}');
    const err = await loadLineConfig(path).catch((e) => e);
    expect(err.code).toBe('LINE_CONFIG');
    expect(err.problem).toBe(`In ${path}: Line config field 'maxLength' is 3; expected an integer in 4..64.`);
    expect(err.hint).toBe(`Fix ${path}; omit a field for its default.`);
  });

  it('names that file in the data config error, keeping a hint of its own', async () => {
    const path = file('{"valFraction": 0.5}');
    const err = await loadDataConfig(path).catch((e) => e);
    expect(err.code).toBe('DATA_CONFIG');
    expect(err.problem).toMatch(new RegExp(`^In ${path}: Data config field 'valFraction' is 0.5`));
    expect(err.hint).toBe(`Fix ${path}; omit a field for its default.`);
    const cased = await loadDataConfig(file('{"labels": 62, "letters": "emnist-letters-repack"}')).catch(
      (e) => e,
    );
    expect(cased.hint).toMatch(/^Use letters 'auto'/);
  });
});
