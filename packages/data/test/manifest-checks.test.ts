import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeLineText, LINE_ALPHABET_36 } from '@hcr/core';
import {
  checkDatasetOutput,
  DEFAULT_LINE_CONFIG,
  datasetInfo,
  decodeLineShard,
  decodeShard,
  encodeLineShard,
  encodeShard,
  LINE_KINDS,
  lineDatasetInfo,
  openDataset,
  openLineDataset,
  prepareShards,
  resolveDataConfig,
  resolveLineConfig,
  sha256,
  verifyDataset,
  verifyLineDataset,
} from '@hcr/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeFixture } from './fixtures.js';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** A character dataset prepared from the fixture; each test edits a copy. */
let base: string;
let dataDir: string;
let lockPath: string;
beforeAll(async () => {
  const fx = makeFixture();
  ({ dataDir, lockPath } = fx);
  process.env.HCR_DATASET_LOCK = lockPath;
  try {
    base = join(tmp('hcr-manifest-'), 'shards');
    await prepareShards({ dataDir, outDir: base, env: {}, config: { shardSize: 100 } });
  } finally {
    delete process.env.HCR_DATASET_LOCK;
  }
});

function copy(): string {
  const dir = join(tmp('hcr-manifest-'), 'shards');
  cpSync(base, dir, { recursive: true });
  return dir;
}

function editManifest(dir: string, edit: (m: Record<string, unknown>) => void): void {
  const m = readJson(join(dir, 'manifest.json'));
  edit(m);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
}

/** A one-line line dataset written by hand (no raw files needed): its shard bytes and manifest. */
function writeLines(
  dir: string,
  shard?: Uint8Array,
): { bytes: Uint8Array; manifest: Record<string, unknown> } {
  mkdirSync(dir, { recursive: true });
  const labels = encodeLineText('AB');
  const bytes =
    shard ??
    encodeLineShard({
      count: 1,
      height: 32,
      widths: Uint16Array.of(4),
      labelOffsets: Uint32Array.of(0, labels.length),
      labels: Uint8Array.from(labels),
      glyphIds: new Int32Array(labels.length).fill(-1),
      kinds: Uint8Array.of(0),
      pixels: new Uint8Array(32 * 4),
    });
  writeFileSync(join(dir, 'test-0000.lines'), bytes);
  const manifest = {
    formatVersion: 1,
    kind: 'hcr-lines',
    shardFormatVersion: 1,
    alphabet: LINE_ALPHABET_36.id,
    symbols: [...LINE_ALPHABET_36.symbols],
    height: 32,
    kinds: [...LINE_KINDS],
    glyphParts: [],
    config: DEFAULT_LINE_CONFIG,
    generator: 'test',
    counts: {
      train: { lines: 0, characters: 0, columns: 0, perKind: {} },
      val: { lines: 0, characters: 0, columns: 0, perKind: {} },
      test: { lines: 1, characters: 2, columns: 4, perKind: { name: 1 } },
    },
    shards: [
      { file: 'test-0000.lines', split: 'test', count: 1, bytes: bytes.length, sha256: sha256(bytes) },
    ],
    rawInputs: [],
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return { bytes, manifest };
}

const charRebuild = (dir: string) => expect.stringContaining(`hcr data prepare --out ${dir} --force`);
const lineRebuild = (dir: string) => expect.stringContaining(`hcr data lines prepare --out ${dir} --force`);

describe('format versions: a dataset another hcr wrote is refused, with the rebuild', () => {
  it('character manifests: formatVersion and shardFormatVersion', async () => {
    for (const field of ['formatVersion', 'shardFormatVersion']) {
      const dir = copy();
      editManifest(dir, (m) => {
        m[field] = 2;
      });
      for (const read of [() => openDataset(dir), () => verifyDataset(dir), () => datasetInfo(dir)])
        await expect(read(), field).rejects.toMatchObject({
          code: 'DATASET_VERSION',
          message: expect.stringMatching(/manifest\.json was written by another version of hcr .*version 2/),
          hint: charRebuild(dir),
        });
    }
  });

  it('line manifests: formatVersion and shardFormatVersion', async () => {
    for (const field of ['formatVersion', 'shardFormatVersion']) {
      const dir = join(tmp('hcr-lines-'), 'lines');
      const { manifest } = writeLines(dir);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, [field]: 3 }));
      for (const read of [
        () => openLineDataset(dir),
        () => verifyLineDataset(dir),
        () => lineDatasetInfo(dir),
      ])
        await expect(read(), field).rejects.toMatchObject({
          code: 'DATASET_VERSION',
          message: expect.stringMatching(/written by another version of hcr .*version 3/),
          hint: lineRebuild(dir),
        });
    }
  });

  it('shard headers: another format version or header size', () => {
    const shard = encodeShard({
      count: 1,
      height: 2,
      width: 2,
      channels: 1,
      pixels: new Uint8Array(4),
      labels: Uint8Array.of(1),
      sources: Uint8Array.of(0),
    });
    const version2 = shard.slice();
    version2[8] = 2;
    const header128 = new Uint8Array(shard.length + 64);
    header128.set(shard.subarray(0, 64));
    header128.set(shard.subarray(64), 128);
    header128[10] = 128;
    for (const bytes of [version2, header128])
      expect(() => decodeShard(bytes, 'x.shard', '/d/shards')).toThrow(
        expect.objectContaining({
          code: 'DATASET_VERSION',
          message: expect.stringContaining('Shard x.shard was written by another version of hcr'),
          hint: expect.stringContaining('hcr data prepare --out /d/shards --force'),
        }),
      );
    expect(decodeShard(shard).count).toBe(1);
  });

  it('line shard headers: another format version or header size', () => {
    const dir = join(tmp('hcr-lines-'), 'lines');
    const { bytes } = writeLines(dir);
    for (const [offset, value] of [
      [8, 2],
      [10, 128],
    ] as const) {
      const changed = bytes.slice();
      changed[offset] = value;
      expect(() => decodeLineShard(changed, 'test-0000.lines', dir)).toThrow(
        expect.objectContaining({ code: 'DATASET_VERSION', hint: lineRebuild(dir) }),
      );
    }
  });
});

describe('malformed manifests are named, with the fix (no TypeError)', () => {
  it('character manifest without counts, config or classes, or with a shard outside its folder', async () => {
    const edits: [string, (m: Record<string, unknown>) => void][] = [
      [
        'counts',
        (m) => {
          delete m.counts;
        },
      ],
      ['counts', (m) => Object.assign(m, { counts: { train: { total: 1 } } })],
      [
        'config',
        (m) => {
          delete m.config;
        },
      ],
      ['classNames', (m) => Object.assign(m, { classNames: [] })],
      [
        'shards',
        (m) => Object.assign((m.shards as Record<string, unknown>[])[0]!, { file: '../other/x.shard' }),
      ],
      ['shards', (m) => Object.assign((m.shards as Record<string, unknown>[])[0]!, { file: 'sub/x.shard' })],
    ];
    for (const [what, edit] of edits) {
      const dir = copy();
      editManifest(dir, edit);
      for (const read of [() => openDataset(dir), () => datasetInfo(dir), () => verifyDataset(dir)])
        await expect(read(), what).rejects.toMatchObject({
          code: 'SHARDS_CORRUPT',
          message: expect.stringMatching(new RegExp(`manifest\\.json has .*${what}`)),
          hint: charRebuild(dir),
        });
    }
  });

  it('line manifest that is null, not JSON, or without shards: LINES_CORRUPT from every reader', async () => {
    for (const text of [
      'null',
      '{"kind": "hcr-li',
      JSON.stringify({ kind: 'hcr-lines', height: 32 }),
      '{}',
    ]) {
      const dir = join(tmp('hcr-lines-'), 'lines');
      writeLines(dir);
      writeFileSync(join(dir, 'manifest.json'), text);
      for (const read of [
        () => openLineDataset(dir),
        () => verifyLineDataset(dir),
        () => lineDatasetInfo(dir),
      ])
        await expect(read(), text).rejects.toMatchObject({
          code: 'LINES_CORRUPT',
          message: expect.stringContaining(join(dir, 'manifest.json')),
          hint: lineRebuild(dir),
        });
    }
  });

  it('hcr data lines info on a manifest without config, glyph parts or counts; without a height, the reader', async () => {
    const dir = join(tmp('hcr-lines-'), 'lines');
    const { manifest } = writeLines(dir);
    await expect(lineDatasetInfo(dir)).resolves.toMatchObject({ seed: 1, shards: 1 });
    for (const field of ['config', 'glyphParts', 'counts', 'height']) {
      const { [field]: _, ...rest } = manifest;
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(rest));
      await expect(lineDatasetInfo(dir), field).rejects.toMatchObject({
        code: 'LINES_CORRUPT',
        message: expect.stringContaining(field === 'height' ? 'line height' : field),
      });
    }
  });
});

describe('a corrupt shard names the rebuild of its own dataset', () => {
  it('character shard: the folder it is in, not the default one', async () => {
    const dir = copy();
    const file = join(dir, 'test-0000.shard');
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    const err = await (await openDataset(dir)).loadSplit('test').catch((e) => e);
    expect(err).toMatchObject({ code: 'SHARD_CORRUPT', hint: charRebuild(dir) });
    expect(err.message).not.toContain('`hcr data verify`');
    // verify reports it the same way
    const r = await verifyDataset(dir);
    expect(r.bad[0]?.problem).toMatch(/cannot be read|bytes|sha256/);
  });

  it('line shard whose sum matches but header is damaged: the folder it is in', async () => {
    const dir = join(tmp('hcr-lines-'), 'lines');
    const { bytes } = writeLines(dir);
    const damaged = bytes.slice();
    damaged[16] = 31; // height 31: lengths no longer add up
    writeLines(dir, damaged);
    const err = await (await openLineDataset(dir)).loadSplit('test').catch((e) => e);
    expect(err).toMatchObject({ code: 'LINE_SHARD_CORRUPT', hint: lineRebuild(dir) });
    expect((await verifyLineDataset(dir)).bad[0]?.problem).toContain(`hcr data lines prepare --out ${dir}`);
  });
});

describe('prepare and its output folder', () => {
  it('rebuilds over a manifest that is valid JSON but has no shards (it stopped with SHARDS_CORRUPT)', async () => {
    const dir = copy();
    editManifest(dir, (m) => {
      delete m.shards;
    });
    process.env.HCR_DATASET_LOCK = lockPath;
    try {
      const r = await prepareShards({ dataDir, outDir: dir, env: {}, config: { shardSize: 100 } });
      expect(r.upToDate).toBe(false);
    } finally {
      delete process.env.HCR_DATASET_LOCK;
    }
    expect((await verifyDataset(dir)).ok).toBe(true);
    expect(readFileSync(join(dir, 'manifest.json'))).toEqual(readFileSync(join(base, 'manifest.json')));
  });

  it('a .DS_Store (or Thumbs.db) in a dataset folder does not make it foreign; other files still do', async () => {
    const dir = copy();
    writeFileSync(join(dir, '.DS_Store'), 'x');
    writeFileSync(join(dir, 'Thumbs.db'), 'x');
    await expect(checkDatasetOutput(dir, 'characters')).resolves.toBeUndefined();
    writeFileSync(join(dir, '.env'), 'x');
    await expect(checkDatasetOutput(dir, 'characters')).rejects.toMatchObject({ code: 'OUTPUT_NOT_DATASET' });
  });
});

describe('config nits', () => {
  it('resolveLineConfig(null) is a LINE_CONFIG error; labels "62" is read as 62, like the data config', () => {
    expect(() => resolveLineConfig(null as never)).toThrow(expect.objectContaining({ code: 'LINE_CONFIG' }));
    expect(() => resolveLineConfig([] as never)).toThrow(expect.objectContaining({ code: 'LINE_CONFIG' }));
    expect(resolveLineConfig({ labels: '62' } as never).labels).toBe(62);
    expect(resolveDataConfig({ labels: '62' } as never).labels).toBe(62);
    expect(() => resolveLineConfig({ labels: '52' } as never)).toThrow(/'labels'/);
  });

  it('the data config seed is a whole number in [0, 2^32), as createRng and the trainer take', () => {
    for (const seed of [-1, 2 ** 32, 1.5])
      expect(() => resolveDataConfig({ seed }), String(seed)).toThrow(
        expect.objectContaining({ code: 'DATA_CONFIG', message: expect.stringContaining("'seed'") }),
      );
    expect(resolveDataConfig({ seed: 2 ** 32 - 1 }).seed).toBe(2 ** 32 - 1);
  });
});
