import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  datasetInfo,
  openDataset,
  prepareShards,
  processingFingerprint,
  renderPreview,
  sha256,
  verifyDataset,
} from '@hcr/data';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, fakeImages, idxBytes, makeFixture } from './fixtures.js';

let fx: Fixture;
let out: string;
beforeEach(() => {
  fx = makeFixture();
  process.env.HCR_DATASET_LOCK = fx.lockPath;
  out = join(mkdtempSync(join(tmpdir(), 'hcr-out-')), 'shards');
});
afterEach(() => {
  delete process.env.HCR_DATASET_LOCK;
});

const prepare = (extra: Parameters<typeof prepareShards>[0] = {}) =>
  prepareShards({ dataDir: fx.dataDir, outDir: out, env: {}, ...extra });

/** Nothing half-written: no manifest, no shard, no temp directory next to the output. */
function expectNothingWritten() {
  expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  const parent = join(out, '..');
  expect(readdirSync(parent).filter((f) => f.includes('tmp'))).toEqual([]);
}

describe('prepareShards', () => {
  it('builds splits with counts per source, stratified val, and the letters source it used', async () => {
    const r = await prepare({ config: { valFraction: 0.1, shardSize: 100 } });
    const m = r.manifest;
    expect(m.letterSource).toBe('emnist-letters-repack');
    expect(m.counts.train.total + m.counts.val.total).toBe(120 + 156);
    // 10% of each (class, source) group, rounded per group: 12 per digit -> 1, 6 per letter -> 1
    expect(m.counts.val.perSource).toEqual({ mnist: 10, 'emnist-letters-repack': 26 });
    expect(m.counts.test.perSource).toEqual({ mnist: 30, 'emnist-letters-repack': 52 });
    expect(m.counts.extra.perSource).toEqual({ 'emnist-digits-repack': 40 });
    expect(m.counts.test.perClass.reduce((a, b) => a + b)).toBe(82);
    expect(m.shards.filter((s) => s.split === 'train').length).toBe(3); // 238 samples / 100 per shard
    expect(m.rawInputs.every((r) => r.verified === 'locked')).toBe(true);
    const info = await datasetInfo(out);
    expect(info.trainAndVal).toBe(276);
    expect(info.classes).toBe(36);
  });

  it('gives byte-identical shards for the same inputs and config', async () => {
    const a = await prepare();
    const b = await prepare({ force: true });
    expect(b.manifest.shards.map((s) => s.sha256)).toEqual(a.manifest.shards.map((s) => s.sha256));
    expect(b.manifestSha256).toBe(a.manifestSha256);
    const c = await prepare({ force: true, config: { seed: 2 } });
    expect(c.manifest.shards.map((s) => s.sha256)).not.toEqual(a.manifest.shards.map((s) => s.sha256));
  });

  it('picks the official letters when present (auto) and records it', async () => {
    const { dataDir } = fx;
    // put the official files in place from the lock's fixture generator: copy the repack naming scheme
    const lock = JSON.parse(readFileSync(fx.lockPath, 'utf8'));
    for (const role of ['train', 'test']) {
      const n = role === 'train' ? 52 : 26;
      fx.replace(
        'emnist-letters',
        `emnist-letters-${role}-images-idx3-ubyte.gz`,
        gzipSync(idxBytes([n, 28, 28], fakeImages(n, 9))),
      );
      fx.replace(
        'emnist-letters',
        `emnist-letters-${role}-labels-idx1-ubyte.gz`,
        gzipSync(
          idxBytes(
            [n],
            Uint8Array.from({ length: n }, (_, i) => 1 + (i % 26)),
          ),
        ),
      );
    }
    // the fixture lock has other sums for these files: accept them by dropping the sums for this test
    for (const f of Object.values(lock.datasets['emnist-letters'].files) as {
      sha256: string;
      uncompressedSha256?: string;
      name: string;
    }[]) {
      f.sha256 = (await import('@hcr/data')).sha256(readFileSync(join(dataDir, 'emnist-letters', f.name)));
    }
    writeFileSync(fx.lockPath, JSON.stringify(lock));
    const lockCopy = `${fx.lockPath}.2.json`;
    writeFileSync(lockCopy, JSON.stringify(lock));
    process.env.HCR_DATASET_LOCK = lockCopy;
    const r = await prepare();
    expect(r.manifest.letterSource).toBe('emnist-letters');
    expect(r.manifest.counts.test.perSource['emnist-letters']).toBe(26);
  });

  it('names the missing file, every place looked and the fix; writes nothing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hcr-empty-'));
    const err = await prepareShards({ dataDir: empty, outDir: out, env: { XDG_CACHE_HOME: empty } }).catch(
      (e) => e,
    );
    expect(err.code).toBe('DATA_FILE_MISSING');
    const text = err.toParagraph();
    expect(text).toMatch(/emnist-letters-repack-train-images-idx3-ubyte\.gz/);
    expect(text).toContain(empty);
    expect(text).toMatch(/hcr data download/);
    expect(text).toMatch(/HCR_DATA_DIR/);
    expectNothingWritten();
  });

  it('rejects a checksum mismatch', async () => {
    fx.replace('mnist', 'train-labels-idx1-ubyte.gz', gzipSync(idxBytes([120], new Uint8Array(120))));
    const err = await prepare().catch((e) => e);
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.toParagraph()).toMatch(/train-labels-idx1-ubyte\.gz.*expected/);
    expectNothingWritten();
  });

  it('skips an up-to-date dataset, repairs a damaged one, and replaces it when the config changes', async () => {
    const first = await prepare();
    expect(first.upToDate).toBe(false);
    const again = await prepare();
    expect(again.upToDate).toBe(true);
    expect(again.manifestSha256).toBe(first.manifestSha256);
    const shard = join(out, 'test-0000.shard');
    const bytes = readFileSync(shard);
    bytes[200] ^= 1;
    writeFileSync(shard, bytes);
    const repaired = await prepare();
    expect(repaired.upToDate).toBe(false);
    expect((await verifyDataset(out)).ok).toBe(true);
    const changed = await prepare({ config: { valFraction: 0.2 } });
    expect(changed.upToDate).toBe(false);
    expect(changed.manifest.config.valFraction).toBe(0.2);
    expect((await prepare({ config: { valFraction: 0.2 }, force: true })).upToDate).toBe(false);
  });

  it('an up-to-date prepare removes the half-written folder an interrupted rebuild left beside it', async () => {
    await prepare();
    // what Ctrl-C during `prepare --force` leaves: writeDirAtomic's temp, of a process that is gone
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    const left = join(out, '..', `.0123456789ab-${gone}.tmp-shards`);
    mkdirSync(left);
    writeFileSync(join(left, 'train-0000.shard'), 'half');
    const said: string[] = [];
    const again = await prepare({ onProgress: (m) => said.push(m) });
    expect(again.upToDate).toBe(true);
    expect(existsSync(left)).toBe(false);
    expect(said).toContain(
      `removed the half-written folder an interrupted run left beside it (.0123456789ab-${gone}.tmp-shards)`,
    );
  });

  it('rebuilds shards that another version of the normalisation made (same config, same raw files)', async () => {
    const config = { normalise: 'canonical' as const };
    const first = await prepare({ config });
    expect(first.manifest.processing).toBe(processingFingerprint(config));
    expect(first.manifest.processing).toMatch(/^[0-9a-f]{16}$/);
    expect(processingFingerprint({ normalise: 'none' })).toBe('raw');
    const manifestFile = join(out, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, processing: '0123456789abcdef' }));
    const again = await prepare({ config });
    expect(again.upToDate).toBe(false);
    expect(again.manifest.processing).toBe(first.manifest.processing);
    expect((await prepare({ config })).upToDate).toBe(true);
  });

  it('refuses an output folder holding anything but a dataset, or a file, before any work, and leaves it as it was', async () => {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'notes.txt'), 'precious');
    await expect(prepare()).rejects.toMatchObject({
      code: 'OUTPUT_NOT_DATASET',
      message: expect.stringMatching(/holds a file that a character dataset does not \(notes\.txt\)/),
    });
    expect(readdirSync(out)).toEqual(['notes.txt']);
    const file = join(out, '..', 'a-file');
    writeFileSync(file, 'x');
    await expect(prepare({ outDir: file })).rejects.toMatchObject({ code: 'OUTPUT_NOT_DATASET' });
    expect(readFileSync(file, 'utf8')).toBe('x');
    // An empty folder, or a dataset, is what preparing may fill or replace.
    rmSync(join(out, 'notes.txt'));
    expect((await prepare()).upToDate).toBe(false);
    expect((await prepare({ force: true })).upToDate).toBe(false);
  });

  it('names a damaged manifest and the command that rebuilds that folder, and rebuilds over it', async () => {
    await prepare();
    for (const text of ['{"formatVersion": 1, "sha', '[]', '{}']) {
      writeFileSync(join(out, 'manifest.json'), text);
      // Each call made only when awaited: a second rejection waiting its turn would go unhandled.
      for (const attempt of [() => openDataset(out), () => verifyDataset(out)])
        await expect(attempt()).rejects.toMatchObject({
          code: 'SHARDS_CORRUPT',
          message: expect.stringContaining(join(out, 'manifest.json')),
          hint: expect.stringContaining(`hcr data prepare --out ${out} --force`),
        });
      expect((await prepare()).upToDate).toBe(false);
      expect((await verifyDataset(out)).ok).toBe(true);
    }
  });

  it('tells a line dataset from character shards: refused as shards, verified as lines', async () => {
    const lines = mkdtempSync(join(tmpdir(), 'hcr-lines-'));
    writeFileSync(join(lines, 'manifest.json'), JSON.stringify({ kind: 'hcr-lines', shards: [] }));
    await expect(openDataset(lines)).rejects.toThrow(/holds a line dataset, not character shards/);
    expect(await verifyDataset(lines)).toMatchObject({ kind: 'lines', ok: true, checked: 0 });
    // A line dataset whose manifest cannot say what it is: its shards do, and the rebuild named is the lines'.
    writeFileSync(join(lines, 'train-0000.lines'), 'x');
    writeFileSync(join(lines, 'manifest.json'), '{"kind": "hcr-li');
    await expect(verifyDataset(lines)).rejects.toMatchObject({
      code: 'LINES_CORRUPT',
      hint: expect.stringContaining(`hcr data lines prepare --out ${lines} --force`),
    });
  });

  it('verifies each line shard: size, sha256 and its header, every problem named', async () => {
    const lines = mkdtempSync(join(tmpdir(), 'hcr-lines-'));
    const junk = Buffer.from('not a line shard at all, but its sum is in the manifest');
    writeFileSync(join(lines, 'train-0000.lines'), junk);
    writeFileSync(join(lines, 'test-0000.lines'), 'short');
    const shards = [
      { file: 'train-0000.lines', split: 'train', count: 1, bytes: junk.length, sha256: sha256(junk) },
      { file: 'test-0000.lines', split: 'test', count: 1, bytes: 99, sha256: sha256(Buffer.from('short')) },
      { file: 'val-0000.lines', split: 'val', count: 1, bytes: 1, sha256: sha256(Buffer.from('x')) },
    ];
    writeFileSync(join(lines, 'manifest.json'), JSON.stringify({ kind: 'hcr-lines', shards }));
    const r = await verifyDataset(lines);
    expect(r).toMatchObject({ kind: 'lines', ok: false, checked: 3 });
    expect(r.bad).toEqual([
      { file: 'train-0000.lines', problem: expect.stringMatching(/train-0000\.lines/) },
      { file: 'test-0000.lines', problem: '5 bytes, the manifest says 99' },
      { file: 'val-0000.lines', problem: 'cannot be read (ENOENT)' },
    ]);
  });

  it('says which raw files it read unverified (no sum known), not only "verifying" them', async () => {
    const said: string[] = [];
    await prepare({ onProgress: (m) => said.push(m) });
    expect(said.some((m) => m.startsWith('not verified'))).toBe(false); // every fixture file has its sum
    const lock = JSON.parse(readFileSync(fx.lockPath, 'utf8'));
    for (const [dataset, role] of [
      ['mnist', 'test-labels'],
      ['emnist-letters-repack', 'test-labels'],
    ] as const) {
      delete lock.datasets[dataset].files[role].sha256;
      delete lock.datasets[dataset].files[role].uncompressedSha256;
    }
    const unlocked = join(out, '..', 'lock.json');
    writeFileSync(unlocked, JSON.stringify(lock));
    process.env.HCR_DATASET_LOCK = unlocked;
    said.length = 0;
    const r = await prepare({ onProgress: (m) => said.push(m), force: true });
    expect(r.manifest.rawInputs.filter((i) => i.verified === 'unverified')).toHaveLength(2);
    const notice = said.find((m) => m.startsWith('not verified'));
    expect(notice).toContain('no sha256 is known for mnist test-labels, emnist-letters-repack test-labels');
    expect(notice).toContain('`hcr data download --dataset mnist`'); // not the repack, which no download fetches
  });

  it('refuses an extra test set listed twice (the extra split held each image twice), before any work', async () => {
    for (const extra of [
      ['auto', 'auto'],
      ['auto', 'emnist-digits-repack'], // auto is the repack here: no official EMNIST Digits
    ] as const) {
      const err = await prepare({ config: { extra: [...extra] } }).catch((e) => e);
      expect(err.code, extra.join(', ')).toBe('DATA_CONFIG');
      expect(err.message).toMatch(/'extra'.*twice/);
      expectNothingWritten();
    }
    const once = await prepare({ config: { extra: ['emnist-digits-repack'] } });
    expect(once.manifest.counts.extra.total).toBe(40);
  });

  it('a dataset folder that is a symbolic link stays one: rebuilt where it points, the link kept', async () => {
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'hcr-big-disk-')), 'shards');
    await prepare({ outDir: elsewhere });
    symlinkSync(elsewhere, out);
    const rebuilt = await prepare({ force: true, config: { valFraction: 0.1 } });
    expect(rebuilt.upToDate).toBe(false);
    expect(lstatSync(out).isSymbolicLink()).toBe(true);
    expect(readlinkSync(out)).toBe(elsewhere);
    const m = JSON.parse(readFileSync(join(elsewhere, 'manifest.json'), 'utf8'));
    expect(m.config.valFraction).toBe(0.1); // the new dataset is where the link points
    expect(readdirSync(join(out, '..')).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('an up-to-date dataset where this user cannot write is up to date; only a rebuild is OUTPUT_NOT_WRITABLE', async () => {
    const first = await prepare();
    const parent = join(out, '..');
    // what a user who cannot write there sees (root ignores permissions: run it as nobody)
    const asUser = async (force: boolean): Promise<{ upToDate?: boolean; sha?: string; code?: string }> => {
      const options = { dataDir: fx.dataDir, outDir: out, env: {}, force };
      if (process.getuid?.() !== 0)
        return prepareShards(options).then(
          (r) => ({ upToDate: r.upToDate, sha: r.manifestSha256 }),
          (e) => ({ code: e.code }),
        );
      const script = join(mkdtempSync(join(tmpdir(), 'hcr-ro-script-')), 'run.mts');
      const src = join(import.meta.dirname, '../src/index.ts');
      writeFileSync(
        script,
        `import { prepareShards } from ${JSON.stringify(src)};
prepareShards(${JSON.stringify(options)}).then(
  (r) => console.log(JSON.stringify({ upToDate: r.upToDate, sha: r.manifestSha256 })),
  (e) => console.log(JSON.stringify({ code: e.code })),
);`,
      );
      // the test run's temp folder (0700) and the folders below it, open to nobody for reading
      const tmpMode = statSync(tmpdir()).mode & 0o777;
      for (const d of [tmpdir(), join(fx.dataDir, '..'), fx.dataDir]) chmodSync(d, 0o755);
      chmodSync(join(script, '..'), 0o777); // its TMPDIR too (tsx's cache)
      try {
        const run = spawnSync(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            process.execPath,
            '--conditions=source',
            '--import',
            'tsx',
            script,
          ],
          {
            cwd: join(import.meta.dirname, '../../..'),
            env: { ...process.env, HCR_DATASET_LOCK: fx.lockPath, TMPDIR: join(script, '..') },
            encoding: 'utf8',
          },
        );
        if (run.error) return { code: 'NO_SETPRIV' };
        if (!run.stdout.trim()) throw new Error(`the run as nobody printed nothing: ${run.stderr}`);
        return JSON.parse(run.stdout.trim().split('\n').pop()!);
      } finally {
        chmodSync(tmpdir(), tmpMode);
      }
    };
    chmodSync(parent, 0o555);
    try {
      const again = await asUser(false);
      if (again.code === 'NO_SETPRIV') return;
      expect(again).toEqual({ upToDate: true, sha: first.manifestSha256 });
      expect(await asUser(true)).toEqual({ code: 'OUTPUT_NOT_WRITABLE' });
    } finally {
      chmodSync(parent, 0o755);
    }
    expect((await verifyDataset(out)).ok).toBe(true);
  }, 60_000);

  it('previewing an empty split is DATA_SPLIT_EMPTY naming the others, not a sheet of class names alone', async () => {
    await prepare({ config: { extra: [] } });
    const err = await renderPreview(await openDataset(out), { split: 'extra' }).catch((e) => e);
    expect(err.code).toBe('DATA_SPLIT_EMPTY');
    expect(err.message).toContain('Preview another split (train, val, test).');
    const png = await renderPreview(await openDataset(out), { split: 'test', perClass: 1 });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('reports an unwritable output directory', async () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions: use a path under a regular file instead
      const file = join(mkdtempSync(join(tmpdir(), 'hcr-file-')), 'not-a-dir');
      writeFileSync(file, 'x');
      const err = await prepare({ outDir: join(file, 'shards') }).catch((e) => e);
      expect(err.code).toBe('OUTPUT_NOT_WRITABLE');
      return;
    }
    const ro = mkdtempSync(join(tmpdir(), 'hcr-ro-'));
    chmodSync(ro, 0o500);
    const err = await prepare({ outDir: join(ro, 'shards') }).catch((e) => e);
    expect(err.code).toBe('OUTPUT_NOT_WRITABLE');
  });
});

describe('shards on disk', () => {
  it('verify names a shard with one flipped byte, and the reader refuses it', async () => {
    await prepare({ config: { shardSize: 100 } });
    expect((await verifyDataset(out)).ok).toBe(true);
    const victim = join(out, 'train-0001.shard');
    const bytes = readFileSync(victim);
    bytes[5000] ^= 0xff;
    writeFileSync(victim, bytes);
    const r = await verifyDataset(out);
    expect(r.ok).toBe(false);
    expect(r.bad.map((b) => b.file)).toEqual(['train-0001.shard']);
    const ds = await openDataset(out);
    await expect(ds.loadSplit('train', { verify: true })).rejects.toThrow(/train-0001\.shard/);
  });

  it('reader yields normalised float batches with labels and sources, seeded order per epoch', async () => {
    await prepare();
    const ds = await openDataset(out);
    const collect = async (epoch: number) => {
      const ys: number[] = [];
      for await (const b of ds.batches('train', { batchSize: 32, seed: 3, epoch })) {
        expect(b.x.length).toBe(b.size * 784);
        expect(Math.min(...b.x)).toBeGreaterThanOrEqual(-1);
        expect(Math.max(...b.x)).toBeLessThanOrEqual(1);
        ys.push(...b.indices);
      }
      return ys;
    };
    const e0 = await collect(0);
    expect(e0.length).toBe(ds.manifest.counts.train.total);
    expect(new Set(e0).size).toBe(e0.length);
    expect(await collect(0)).toEqual(e0);
    expect(await collect(1)).not.toEqual(e0);
    const resumed: number[] = [];
    for await (const b of ds.batches('train', { batchSize: 32, seed: 3, epoch: 0, startBatch: 2 }))
      resumed.push(...b.indices);
    expect(resumed).toEqual(e0.slice(64));
  });

  it('reports missing shards with the command that makes them', async () => {
    await expect(openDataset(join(out, 'nope'))).rejects.toThrow(/hcr data prepare/);
  });
});
