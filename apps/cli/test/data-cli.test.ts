import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// the data package's own raw-file fixture builder: a small folder shaped like ../shared/data, plus its lock file
import { makeFixture } from '../../../packages/data/test/fixtures.js';
import { hcr } from './support/run-hcr.js';

describe('hcr data', () => {
  const fx = makeFixture();
  const dir = join(mkdtempSync(join(tmpdir(), 'hcr-cli-')), 'shards');
  beforeAll(() => {
    process.env.HCR_DATASET_LOCK = fx.lockPath;
  });
  afterAll(() => {
    delete process.env.HCR_DATASET_LOCK;
  });

  it('prepare then info --json reports the counts and the letters source', async () => {
    const p = await hcr('data', 'prepare', '--data-dir', fx.dataDir, '--out', dir);
    expect(p.code).toBe(0);
    const info = await hcr('data', 'info', '--dir', dir, '--json');
    expect(info.code).toBe(0);
    const j = JSON.parse(info.out);
    expect(j.trainAndVal).toBe(276);
    expect(j.counts.test.total).toBe(82);
    expect(j.counts.extra.total).toBe(40);
    expect(j.classes).toBe(36);
    expect(j.letterSource).toBe('emnist-letters-repack');
    // per class: indexed like the class names, summing to each split's total
    for (const split of ['train', 'val', 'test', 'extra'])
      expect(j.counts[split].perClass.reduce((a: number, b: number) => a + b, 0)).toBe(j.counts[split].total);
    const table = await hcr('data', 'info', '--dir', dir, '--per-class');
    const rows = table.out.split('\n').filter((l) => /^ {2}\S+ +\d+ +\d+ +\d+ +\d+$/.test(l));
    expect(rows).toHaveLength(36);
    const a = j.classNames.indexOf('A');
    expect(rows[a]!.trim().split(/ +/)).toEqual([
      'A',
      ...['train', 'val', 'test', 'extra'].map((s) => String(j.counts[s].perClass[a])),
    ]);
  });

  it('verify exits 1 and names the shard with a flipped byte', async () => {
    expect((await hcr('data', 'verify', '--dir', dir)).code).toBe(0);
    const shard = join(dir, 'test-0000.shard');
    const bytes = readFileSync(shard);
    bytes[100] ^= 1;
    writeFileSync(shard, bytes);
    const r = await hcr('data', 'verify', '--dir', dir);
    expect(r.code).toBe(1);
    // The verdict is the command's output: on stdout, with the command that rebuilds this folder.
    expect(r.out).toMatch(/corrupt test-0000\.shard/);
    expect(r.out).toContain(`hcr data prepare --out ${dir} --force`);
  });

  it('prepare with no data anywhere exits non-zero, names the file and the fix, writes no manifest', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hcr-nodata-'));
    const saved = { ...process.env };
    process.env.HCR_DATA_DIR = join(empty, 'nonexistent');
    process.env.XDG_CACHE_HOME = empty;
    try {
      const out = join(empty, 'shards');
      const r = await hcr('data', 'prepare', '--out', out);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(
        /Missing emnist-letters-repack file emnist-letters-repack-train-images-idx3-ubyte\.gz/,
      );
      expect(r.err).toMatch(/hcr data download/);
      expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    } finally {
      process.env = saved;
    }
  });

  it('info --json on a missing dataset still prints JSON: the error, with its code and fix', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'hcr-noshards-')), 'shards');
    const r = await hcr('data', 'info', '--json', '--dir', missing);
    expect(r.code).not.toBe(0);
    const { error } = JSON.parse(r.out);
    expect(error.code).toBe('SHARDS_MISSING');
    expect(error.message).toContain(missing);
    expect(error.hint).toMatch(/hcr data prepare/);
    expect(r.err).toMatch(/^error /);
    const plain = await hcr('data', 'info', '--dir', missing);
    expect(plain.out).toBe(''); // without --json, errors go to stderr only
  });

  it('every subcommand has --help', async () => {
    for (const sub of ['prepare', 'info', 'verify', 'preview']) {
      const r = await hcr('data', sub, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Usage: hcr data/);
    }
  });
});

// Lines are drawn from the real characters (a fixture this small lacks some digits in some splits).
const sharedData = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data');
const haveLetters = existsSync(join(sharedData, 'emnist-byclass-repack'));

describe.skipIf(!haveLetters)('hcr data lines', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'hcr-cli-lines-')), 'lines');

  it('info prints what prepare wrote, on stdout, without loading a shard', async () => {
    const config = join(dirname(dir), 'small.json');
    writeFileSync(config, JSON.stringify({ counts: { train: 6, val: 2, test: 4 }, shardSize: 4 }));
    const p = await hcr(
      'data',
      'lines',
      'prepare',
      '--data-dir',
      sharedData,
      '--config',
      config,
      '--out',
      dir,
    );
    expect(p.code, p.err).toBe(0);
    const info = JSON.parse((await hcr('data', 'lines', 'info', '--dir', dir, '--json')).out);
    expect(info.alphabet).toBe('hcr36-line');
    expect(info.letterSource).toBe('emnist-byclass-repack');
    expect([info.counts.train.lines, info.counts.val.lines, info.counts.test.lines]).toEqual([6, 2, 4]);
    const kinds = (split: string) =>
      Object.values(info.counts[split].perKind as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(kinds('train')).toBe(6);
    expect(info.shards).toBe(2 + 1 + 1);
    // a shard gone does not stop info (verify is the command that checks them)
    rmSync(join(dir, 'val-0000.lines'));
    const plain = await hcr('data', 'lines', 'info', '--dir', dir);
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/alphabet hcr36-line .* letters emnist-byclass-repack\n/);
    expect(plain.out).toMatch(/^ {2}test +4 lines, \d+ characters, mean width \d+ px; /m);
    expect(plain.out).toContain(`manifest sha256 ${info.manifestSha256}`);
    const missing = await hcr('data', 'lines', 'info', '--dir', join(dir, 'nope'));
    expect(missing.code).not.toBe(0);
    expect(missing.err).toMatch(/No line dataset in .*hcr data lines prepare --out/s);
  });
});
